/**
 * Component figure (not what users run): FolderMessageStore alone, N puts of SIZE bytes with
 * CONCURRENCY in flight and one commit() per BATCH messages, beside the reference loop mpop's
 * maildir delivery does per message (temp file, write, fsync, close, link, unlink).
 *
 *   npx tsx bench/folder-store-commit.ts [store|loop] [n=10000] [size=4096] [batch=100] [concurrency=8]
 *
 * Prints one JSON line: mode, messages, seconds, msg/s. Run it under `strace -f -c` to count
 * file-system calls per message (subtract an n=0 run for Node's own start-up calls).
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, mkdtemp, open, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FolderMessageStore } from '../lambda/adapters/local/folder-store.js';

const [mode = 'store', nArg = '10000', sizeArg = '4096', batchArg = '100', concurrencyArg = '8'] = process.argv.slice(2);
const n = Number(nArg);
const size = Number(sizeArg);
const batch = Number(batchArg);
const concurrency = Number(concurrencyArg);
const body = randomBytes(size);
const root = await mkdtemp(join(process.env.BENCH_DIR ?? tmpdir(), 'folder-bench-'));
const fetchedAt = new Date();

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

async function runStore(): Promise<void> {
  const store = new FolderMessageStore({ dir: root });
  for (let start = 0; start < n; start += batch) {
    const end = Math.min(n, start + batch);
    let next = start;
    const worker = async (): Promise<void> => {
      while (next < end) {
        const i = next;
        next += 1;
        await store.put({ key: `mail/box/full/${i}.eml`, body: once(body), uidHash: String(i), fetchedAt, kind: 'full' });
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, end - start) }, worker));
    await store.commit();
  }
}

async function runLoop(): Promise<void> {
  const dir = join(root, 'cur');
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < n; i += 1) {
    const temp = join(dir, `.tmp.${i}`);
    const handle = await open(temp, 'wx', 0o600);
    await handle.write(body);
    await handle.sync();
    await handle.close();
    await link(temp, join(dir, `${i}.eml`));
    await unlink(temp);
  }
}

const started = performance.now();
if (mode === 'loop') await runLoop();
else await runStore();
const seconds = (performance.now() - started) / 1000;
process.stdout.write(`${JSON.stringify({ figure: 'component', mode, messages: n, bytes: size, batch, concurrency, seconds: Number(seconds.toFixed(3)), msgPerSecond: Math.round(n / seconds) })}\n`);
// BENCH_KEEP=1 leaves the folder (removed by the caller) so a syscall count sees only the puts.
if (process.env.BENCH_KEEP === undefined) await rm(root, { recursive: true, force: true });
else process.stderr.write(`${root}\n`);
