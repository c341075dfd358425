/**
 * Section (4): an idle poll of a mailbox whose messages were all taken in before (the throughput
 * mailbox, kept), the CLI as a whole process against `mpop --only-new --keep` with a filled UIDL
 * file: log in, UIDL, compare, QUIT. Two floors run with them, to split the CLI's time: an empty
 * Node process (`node -e 0`) and `pop3-ingest --version` (Node plus the CLI entry point); the
 * rest is the poll command's module graph, the config and seen-state parse and the session.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareMpop } from '../mpop.js';
import { watchProcess } from '../proc-watch.js';
import { fmt, median } from '../report.js';
import { PASSWORD, judge, type Bench } from './context.js';
import { runCli, writeCliConfig } from './contenders.js';
import { interleave, pairedRatio, summarize, type Sample } from './series.js';

const CLI = fileURLToPath(new URL('../../dist/lambda/cli/main.js', import.meta.url));

type Who = 'ours' | 'mpop' | 'node -e 0' | 'ours --version';

/** (4): idle poll, time and peak RSS. */
export async function idleSection(bench: Bench): Promise<void> {
  const n = bench.sizes.throughputMessages;
  const at = { user: 'throughput', port: bench.dovecot.pop3sPort };
  const config = await writeCliConfig(bench, 'idle-cli', at);
  const out = bench.primedIdleOut ?? join(bench.work, 'idle-out');
  if (bench.primedIdleOut === undefined) {
    bench.log(`idle: taking in the ${n} messages once`);
    await runCli(config, out, n);
  }
  const mpop = await prepareMpop(
    { host: bench.dovecot.host, port: at.port, user: at.user, password: PASSWORD, caFile: bench.dovecot.certs.caFile },
    { onlyNew: true },
  );
  try {
    await mpop.run(); // fills mpop's UIDL file: from now on it has nothing new either
    const series = await interleave(['ours', 'mpop', 'node -e 0', 'ours --version'] as const, { ...bench, reps: Math.max(5, bench.reps) }, async (who) => {
      switch (who) {
        case 'ours': {
          const r = await runCli(config, out, 0, { keepOut: true, ...(bench.cliCpuProfDir === undefined ? {} : { cpuProfDir: join(bench.cliCpuProfDir, 'idle') }) });
          if (r.run.summaries[0]?.newMessages !== 0) throw new Error(`idle: the CLI saw ${r.run.summaries[0]?.newMessages} new messages`);
          return r;
        }
        case 'mpop':
          return mpop.run();
        case 'node -e 0':
          return timeProcess(['-e', '0']);
        case 'ours --version':
          return timeProcess([CLI, '--version']);
      }
    });
    const t = (who: Who) => median(series[who].elapsedMs) / 1000;
    const rss = (who: Who) => median(series[who].peakRssKb) / 1024;
    const ratio = pairedRatio(series.ours.elapsedMs, series.mpop.elapsedMs);
    const what = `idle poll: ${n} kept, nothing new`;
    bench.results.idle = {
      keptMessages: n,
      ours: summarize(series.ours), mpop: summarize(series.mpop),
      nodeEmpty: summarize(series['node -e 0']), oursVersion: summarize(series['ours --version']),
      oursOverMpop: ratio,
    };
    bench.rows.push([`${what} (s)`, fmt(t('ours')), fmt(t('mpop')), '', `${fmt(ratio)}x mpop's time`, `floors: node -e 0 ${fmt(t('node -e 0'))} s, --version ${fmt(t('ours --version'))} s`]);
    bench.rows.push([`${what}, peak RSS (MiB)`, fmt(rss('ours')), fmt(rss('mpop')), '', `${fmt(rss('ours') / rss('mpop'))}x mpop`, `node -e 0 ${fmt(rss('node -e 0'))} MiB, --version ${fmt(rss('ours --version'))} MiB`]);
    bench.targets.push(judge(`idle poll of ${n} kept messages within 2x mpop's time`, ratio, '<=', 2, 'x', fmt, `${fmt(t('ours'))} s vs ${fmt(t('mpop'))} s; peak RSS ${fmt(rss('ours'))} vs ${fmt(rss('mpop'))} MiB`));
    bench.chart.push({ title: what, unit: 's', lowerIsBetter: true, bars: [{ label: 'ours (CLI)', value: t('ours') }, { label: 'mpop --only-new', value: t('mpop') }] });
  } finally {
    await mpop.dispose();
  }
}

/** A Node process with `args`, timed from spawn to exit, peak RSS and CPU from /proc. */
function timeProcess(args: readonly string[]): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { stdio: 'ignore' });
    const watch = child.pid === undefined ? undefined : watchProcess(child.pid);
    child.once('error', reject);
    child.once('exit', (code) => {
      const elapsedMs = performance.now() - started;
      const { peakRssKb, cpuMs } = watch?.stop() ?? { peakRssKb: 0, cpuMs: 0 };
      if (code === 0) resolve({ elapsedMs, cpuMs, peakRssKb });
      else reject(new Error(`node ${args.join(' ')} exited with ${String(code)}`));
    });
  });
}
