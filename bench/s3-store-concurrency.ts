/**
 * Component figure (not what users run): S3MessageStore alone, N puts of SIZE bytes through the
 * real SDK to the loopback fake S3 (which enforces If-None-Match) behind a proxy adding DELAY ms
 * each way per chunk (about one ordinary S3 request's latency at 15), with CONCURRENCY puts in
 * flight over the client's keep-alive pool.
 *
 *   npx tsx bench/s3-store-concurrency.ts [n=1000] [size=8192] [delayMs=15] [concurrency=1,8,16]
 *
 * Prints one JSON line per concurrency: seconds and msg/s.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { S3MessageStore } from '../lambda/adapters/s3/message-store.js';
import { startFakeS3Server } from '../test/adapters/fake-s3-server.js';
import { startLatencyProxy } from './latency-proxy.js';

const [nArg = '1000', sizeArg = '8192', delayArg = '15', concurrencyArg = '1,8,16'] = process.argv.slice(2);
const n = Number(nArg);
const body = randomBytes(Number(sizeArg));
const server = await startFakeS3Server();
const port = Number(new URL(server.endpoint).port);
const proxy = await startLatencyProxy({ upstreamHost: '127.0.0.1', upstreamPort: port, delayMs: Number(delayArg) });
const tmp = await mkdtemp(join(tmpdir(), 's3-bench-'));

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

for (const concurrency of concurrencyArg.split(',').map(Number)) {
  server.model.objects.clear();
  const client = new S3Client({ endpoint: `http://127.0.0.1:${proxy.port}`, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const store = new S3MessageStore({ client, bucket: 'bench', tmpDir: tmp });
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      const i = next;
      next += 1;
      await store.put({ key: `mail/box/full/${i}.eml`, body: once(body), uidHash: String(i), fetchedAt: new Date(), kind: 'full' });
    }
  }));
  await store.commit();
  const seconds = (performance.now() - started) / 1000;
  client.destroy();
  process.stdout.write(`${JSON.stringify({ figure: 'component', store: 's3', messages: n, bytes: body.byteLength, delayMsEachWay: Number(delayArg), concurrency, seconds: Number(seconds.toFixed(3)), msgPerSecond: Math.round(n / seconds) })}\n`);
}
await proxy.close();
await server.stop();
await rm(tmp, { recursive: true, force: true });
