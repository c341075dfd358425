/**
 * Section (2): the CLI storing into S3 and publishing to EventBridge, as a whole process, over
 * the real AWS SDK to loopback servers (fauxqs for S3, a PutEvents fake), once directly and once
 * through TCP proxies that hold every chunk a fixed time each way (about one ordinary S3 request
 * with 15 ms each way). Interleaved; the slowdown is the paired ratio of the two times. No mpop
 * or raw figure: neither stores into S3.
 */
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { testS3Client } from '../../test/support/s3-server.js';
import { startLatencyProxy, type LatencyProxy } from '../latency-proxy.js';
import { fmt, median } from '../report.js';
import { emptyBucket } from './buckets.js';
import { judge, type Bench } from './context.js';
import { runCli, writeCliConfig, type AwsTarget } from './contenders.js';
import { interleave, pairedRatio, summarize } from './series.js';

type Who = 'loopback' | 'delayed';

/** (2): S3 + EventBridge on loopback vs through the delaying proxies. */
export async function awsSection(bench: Bench): Promise<void> {
  const { s3Messages: n, s3MessageBytes, awsDelayMs } = bench.sizes;
  const s3 = testS3Client(bench.s3.endpoint);
  const proxies: LatencyProxy[] = [];
  try {
    for (const endpoint of [bench.s3.endpoint, bench.eventBridge.endpoint]) {
      proxies.push(await startLatencyProxy({ upstreamHost: '127.0.0.1', upstreamPort: Number(new URL(endpoint).port), delayMs: awsDelayMs }));
    }
    const [s3Proxy, ebProxy] = proxies as [LatencyProxy, LatencyProxy];
    const endpoints: Record<Who, Omit<AwsTarget, 'bucket'>> = {
      loopback: { busName: 'bench-bus', s3Endpoint: bench.s3.endpoint, eventBridgeEndpoint: bench.eventBridge.endpoint },
      delayed: { busName: 'bench-bus', s3Endpoint: `http://127.0.0.1:${s3Proxy.port}`, eventBridgeEndpoint: `http://127.0.0.1:${ebProxy.port}` },
    };
    const config = await writeCliConfig(bench, 's3-cli', { user: 's3', port: bench.dovecot.pop3sPort });
    let runNo = 0;
    const series = await interleave(['loopback', 'delayed'] as const, { ...bench, warmupWith: ['loopback'] }, async (who) => {
      // A fresh bucket per run: no seen-state, no objects; every message is stored again.
      const bucket = `bench-whole-${++runNo}`;
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      bench.eventBridge.reset();
      const sample = await runCli(config, join(bench.work, 's3-out'), n, {
        aws: { bucket, ...endpoints[who] },
        ...(bench.cliCpuProfDir === undefined ? {} : { cpuProfDir: join(bench.cliCpuProfDir, 'aws') }),
      });
      const seen = bench.eventBridge.counts();
      const objects = await emptyBucket(s3, bucket);
      if (seen.stored < n || seen.refused > 0) throw new Error(`${who}: ${seen.stored} "Message Stored" events for ${n} messages, ${seen.refused} calls refused`);
      if (objects < n) throw new Error(`${who}: ${objects} objects in the bucket for ${n} messages`);
      return sample;
    });
    const rate = (who: Who) => n / (median(series[who].elapsedMs) / 1000);
    const slowdown = pairedRatio(series.delayed.elapsedMs, series.loopback.elapsedMs);
    const what = `S3 + EventBridge: ${n} x ${s3MessageBytes / 1024} KiB`;
    bench.results.aws = {
      messages: n, messageBytes: s3MessageBytes, oneWayDelayMs: awsDelayMs,
      loopback: { ...summarize(series.loopback), messagesPerSecond: rate('loopback') },
      delayed: { ...summarize(series.delayed), messagesPerSecond: rate('delayed') },
      slowdown,
    };
    bench.rows.push([`${what}, loopback (msg/s)`, fmt(rate('loopback')), '', '', '', `peak RSS ${fmt(median(series.loopback.peakRssKb) / 1024)} MiB`]);
    bench.rows.push([`${what}, +${awsDelayMs} ms each way per chunk (msg/s)`, fmt(rate('delayed')), '', '', `${fmt(slowdown)}x loopback's time`, `peak RSS ${fmt(median(series.delayed.peakRssKb) / 1024)} MiB`]);
    bench.targets.push(judge(
      `S3 + EventBridge +${awsDelayMs} ms each way: slowdown vs loopback`, slowdown, '<=', 1.5, 'x', fmt,
      `${fmt(rate('delayed'))} msg/s delayed, ${fmt(rate('loopback'))} msg/s loopback`,
    ));
    bench.chart.push({
      title: `${what}, loopback vs +${awsDelayMs} ms each way`, unit: 'msg/s', lowerIsBetter: false,
      bars: [{ label: 'ours, loopback', value: rate('loopback') }, { label: `ours, +${awsDelayMs} ms`, value: rate('delayed') }],
    });
  } finally {
    await Promise.allSettled(proxies.map((p) => p.close()));
    s3.destroy();
  }
}
