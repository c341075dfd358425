/**
 * Part of section (5): memory with the store pipeline full. A mailbox of messages just under the
 * in-memory threshold (each is read whole and stored in the background), stored into S3 through
 * a proxy holding every chunk a long time each way, so stores are slower than reading and the
 * pipeline fills to its limits. The figure is the CLI's peak RSS over an idle poll of the same
 * mailbox and bucket (same process, same modules, nothing to fetch), next to the configured
 * bound: bytes of buffered stores + the fetch window (lambda/sync/limits.ts).
 */
import { join } from 'node:path';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { SYNC_LIMITS } from '../../lambda/sync/limits.js';
import { startLatencyProxy, type LatencyProxy } from '../latency-proxy.js';
import { fmt, median } from '../report.js';
import { emptyBucket } from './buckets.js';
import { judge, type Bench } from './context.js';
import { runCli, writeCliConfig, type AwsTarget } from './contenders.js';
import { interleave, summarize } from './series.js';

const MIB = 1024 * 1024;

/** The bound the store pipeline promises: buffered stores plus the fetch window, in MiB. */
export const PIPELINE_BOUND_MIB = (SYNC_LIMITS.storeBytesInFlight + SYNC_LIMITS.fetchWindowBytes) / MIB;

/** Runs the pipeline-full and idle polls, interleaved, and adds the row and the target. */
export async function pipelineMemory(bench: Bench, s3: S3Client): Promise<void> {
  const { pipelineMessages: n, pipelineMessageBytes: size, pipelineDelayMs: delayMs } = bench.sizes;
  const proxies: LatencyProxy[] = [];
  // The bucket of the last full run: the idle poll finds every message already recorded there.
  let filled: string | undefined;
  let runNo = 0;
  try {
    for (const endpoint of [bench.s3.endpoint, bench.eventBridge.endpoint]) {
      proxies.push(await startLatencyProxy({ upstreamHost: '127.0.0.1', upstreamPort: Number(new URL(endpoint).port), delayMs }));
    }
    const [s3Proxy, ebProxy] = proxies as [LatencyProxy, LatencyProxy];
    const slow: Omit<AwsTarget, 'bucket'> = { busName: 'bench-bus', s3Endpoint: `http://127.0.0.1:${s3Proxy.port}`, eventBridgeEndpoint: `http://127.0.0.1:${ebProxy.port}` };
    const config = await writeCliConfig(bench, 'mempipe-cli', { user: 'mempipe', port: bench.dovecot.pop3sPort });
    const out = join(bench.work, 'mempipe-out');
    const series = await interleave(['pipeline full', 'idle'] as const, bench, async (who) => {
      if (who === 'idle') {
        if (filled === undefined) throw new Error('idle poll before any full run');
        return runCli(config, out, 0, { aws: { bucket: filled, ...slow } });
      }
      const bucket = `bench-pipe-${++runNo}`;
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      const sample = await runCli(config, out, n, { aws: { bucket, ...slow } });
      if (filled !== undefined) await emptyBucket(s3, filled);
      filled = bucket;
      return sample;
    });
    const rss = (who: 'pipeline full' | 'idle') => median(series[who].peakRssKb) / 1024;
    const growth = rss('pipeline full') - rss('idle');
    const what = `peak RSS, pipeline full: ${n} x ${fmt(size / 1024)} KiB into S3, +${delayMs} ms each way (MiB)`;
    const bound = `bound ${fmt(PIPELINE_BOUND_MIB)} MiB: ${SYNC_LIMITS.storeBytesInFlight / MIB} stores + ${SYNC_LIMITS.fetchWindowBytes / MIB} fetch window`;
    bench.results.pipelineMemory = {
      messages: n, messageBytes: size, oneWayDelayMs: delayMs, boundMiB: PIPELINE_BOUND_MIB,
      full: summarize(series['pipeline full']), idle: summarize(series.idle), growthMiB: growth,
    };
    bench.rows.push([what, `${fmt(rss('idle'))} idle -> ${fmt(rss('pipeline full'))}`, '', '', `+${fmt(growth)} MiB`, `whole CLI process, VmHWM; ${bound}`]);
    bench.targets.push(judge('memory with the store pipeline full, over an idle poll', growth, '<=', PIPELINE_BOUND_MIB, ' MiB', fmt, bound));
  } finally {
    await Promise.allSettled(proxies.map((p) => p.close()));
    if (filled !== undefined) await emptyBucket(s3, filled).catch(() => undefined);
  }
}
