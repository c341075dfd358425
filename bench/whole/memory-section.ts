/**
 * Section (5): peak RSS of the CLI process taking in one 1 MiB message, then one big message
 * (100 MiB by default), into the local folder and into S3 (multipart) + EventBridge on loopback.
 * The growth between the two is what the message's size costs in memory: a streaming path keeps
 * it near zero. mpop into a maildir with the big message is the reference. Then memory with
 * the store pipeline full (pipeline-memory.ts).
 */
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { testS3Client } from '../../test/support/s3-server.js';
import { fmt, median } from '../report.js';
import { emptyBucket } from './buckets.js';
import { judge, type Bench } from './context.js';
import { prepareMpopMaildir, runCli, writeCliConfig } from './contenders.js';
import { pipelineMemory } from './pipeline-memory.js';
import { interleave, summarize } from './series.js';

const CONTENDERS = ['local 1 MiB', 'local big', 's3 1 MiB', 's3 big', 'mpop big'] as const;

/** (5): memory growth from a 1 MiB to a big message, local folder and S3. */
export async function memorySection(bench: Bench): Promise<void> {
  const { bigBytes, smallBytes } = bench.sizes;
  const bigMiB = bigBytes / 2 ** 20;
  const s3 = testS3Client(bench.s3.endpoint);
  const limit = { maxMessageSize: 2 * bigBytes };
  const small = await writeCliConfig(bench, 'mem1-cli', { user: 'mem1', port: bench.dovecot.pop3sPort, ...limit });
  const big = await writeCliConfig(bench, 'membig-cli', { user: 'membig', port: bench.dovecot.pop3sPort, ...limit });
  const mpop = await prepareMpopMaildir(bench, 'membig', { user: 'membig', port: bench.dovecot.pop3sPort }, 1);
  let runNo = 0;
  const toS3 = async (config: string) => {
    const bucket = `bench-mem-${++runNo}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    try {
      return await runCli(config, join(bench.work, 'mem-s3-out'), 1, {
        aws: { bucket, busName: 'bench-bus', s3Endpoint: bench.s3.endpoint, eventBridgeEndpoint: bench.eventBridge.endpoint },
      });
    } finally {
      await emptyBucket(s3, bucket);
    }
  };
  try {
    const series = await interleave(CONTENDERS, bench, async (who) => {
      switch (who) {
        case 'local 1 MiB':
          return runCli(small, join(bench.work, 'mem-local-out'), 1);
        case 'local big':
          return runCli(big, join(bench.work, 'mem-local-out'), 1);
        case 's3 1 MiB':
          return toS3(small);
        case 's3 big':
          return toS3(big);
        case 'mpop big':
          return mpop.run();
      }
    });
    const rss = (who: (typeof CONTENDERS)[number]) => median(series[who].peakRssKb) / 1024;
    const localGrowth = rss('local big') - rss('local 1 MiB');
    const s3Growth = rss('s3 big') - rss('s3 1 MiB');
    bench.results.memory = {
      smallBytes, bigBytes,
      ...Object.fromEntries(CONTENDERS.map((c) => [c, summarize(series[c])])),
      localGrowthMiB: localGrowth, s3GrowthMiB: s3Growth,
    };
    bench.rows.push([`peak RSS, local folder: 1 MiB -> ${fmt(bigMiB)} MiB message (MiB)`, `${fmt(rss('local 1 MiB'))} -> ${fmt(rss('local big'))}`, `${fmt(rss('mpop big'))} (big)`, '', `+${fmt(localGrowth)} MiB`, 'whole CLI process, VmHWM']);
    bench.rows.push([`peak RSS, S3 multipart: 1 MiB -> ${fmt(bigMiB)} MiB message (MiB)`, `${fmt(rss('s3 1 MiB'))} -> ${fmt(rss('s3 big'))}`, '', '', `+${fmt(s3Growth)} MiB`, 'whole CLI process, VmHWM']);
    bench.targets.push(judge(`peak RSS growth 1 MiB -> ${fmt(bigMiB)} MiB message, local folder`, localGrowth, '<=', 16, ' MiB', fmt));
    bench.targets.push(judge(`peak RSS growth 1 MiB -> ${fmt(bigMiB)} MiB message, S3 multipart`, s3Growth, '<=', 16, ' MiB', fmt));
    bench.chart.push({
      title: `peak RSS with one ${fmt(bigMiB)} MiB message`, unit: 'MiB', lowerIsBetter: true,
      bars: [{ label: 'ours, local folder', value: rss('local big') }, { label: 'ours, S3 multipart', value: rss('s3 big') }, { label: 'mpop, maildir', value: rss('mpop big') }],
    });
    await pipelineMemory(bench, s3);
  } finally {
    await mpop.dispose();
    s3.destroy();
  }
}
