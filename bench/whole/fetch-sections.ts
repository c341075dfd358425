/**
 * Sections (1) and (3): the latency run (N x 4 KiB over TLS through a proxy adding a fixed delay
 * each way) and the throughput run (N x 4 KiB over TLS on loopback). Four contenders,
 * interleaved: the CLI as a whole process into a local folder, mpop into a maildir (both fsync
 * every message), the raw pipelined reader and our engine alone (both in-process, bytes
 * discarded: the link's practical limit, and the engine's share of the CLI's time).
 */
import { join } from 'node:path';
import { DEFAULT_POP3_LIMITS } from '../../lambda/pop3/limits.js';
import type { BenchTarget, ContenderResult } from '../contender-spec.js';
import { runContender } from '../contender-runner.js';
import { startLatencyProxy } from '../latency-proxy.js';
import { fmt, median } from '../report.js';
import { PASSWORD, judge, type Bench } from './context.js';
import { prepareMpopMaildir, runCli, writeCliConfig, type Endpoint } from './contenders.js';
import { interleave, pairedRatio, summarize, type Series } from './series.js';

type Who = 'ours' | 'mpop' | 'raw' | 'engine';
const CONTENDERS: readonly Who[] = ['ours', 'mpop', 'raw', 'engine'];

/** (1) + (3), latency: every contender through the delaying proxy, over TLS. */
export async function latencySection(bench: Bench): Promise<void> {
  const { latencyMessages: n, messageBytes, popDelayMs } = bench.sizes;
  const proxy = await startLatencyProxy({ upstreamHost: bench.dovecot.host, upstreamPort: bench.dovecot.pop3sPort, delayMs: popDelayMs });
  try {
    const series = await fetchAll(bench, 'latency', { user: 'latency', port: proxy.port }, n);
    const [o, m, r, e] = CONTENDERS.map((c) => median(series[c].elapsedMs) / 1000) as [number, number, number, number];
    const oursOverMpop = pairedRatio(series.ours.elapsedMs, series.mpop.elapsedMs);
    const what = `latency: ${n} x ${messageBytes / 1024} KiB, TLS, +${popDelayMs} ms each way`;
    bench.results.latency = { messages: n, messageBytes, oneWayDelayMs: popDelayMs, ...summaries(series), oursOverMpop, oursOverRaw: pairedRatio(series.ours.elapsedMs, series.raw.elapsedMs) };
    bench.rows.push([`${what} (s)`, fmt(o), fmt(m), fmt(r), `${fmt(oursOverMpop)}x mpop's time`, 'lower is better']);
    bench.rows.push(['  CPU, user + system (s)', ...cpu(series)]);
    bench.engineRows.push([`${what} (s)`, fmt(e), fmt(r), `${fmt(pairedRatio(series.engine.elapsedMs, series.raw.elapsedMs))}x raw's time`]);
    bench.targets.push(judge('latency run no slower than mpop (CLI time / mpop time)', oursOverMpop, '<=', 1, 'x', fmt));
    bench.chart.push({ title: what, unit: 's', lowerIsBetter: true, bars: [{ label: 'ours (CLI)', value: o }, { label: 'mpop', value: m }, { label: 'raw reader', value: r }] });
  } finally {
    await proxy.close();
  }
}

/** (1) + (3), throughput: every contender on loopback over TLS. Leaves the last CLI folder for the idle run. */
export async function throughputSection(bench: Bench): Promise<void> {
  const { throughputMessages: n, messageBytes } = bench.sizes;
  const series = await fetchAll(bench, 'throughput', { user: 'throughput', port: bench.dovecot.pop3sPort }, n, true);
  const rate = (s: Series) => n / (median(s.elapsedMs) / 1000);
  const [o, m, r, e] = CONTENDERS.map((c) => rate(series[c])) as [number, number, number, number];
  // A rate ratio is the inverse time ratio, paired per round.
  const oursOverMpop = pairedRatio(series.mpop.elapsedMs, series.ours.elapsedMs);
  const oursOverRaw = pairedRatio(series.raw.elapsedMs, series.ours.elapsedMs);
  const what = `throughput: ${n} x ${messageBytes / 1024} KiB, TLS, loopback`;
  bench.results.throughput = { messages: n, messageBytes, ...summaries(series), messagesPerSecond: { ours: o, mpop: m, raw: r, engine: e }, oursOverMpop, oursOverRaw };
  bench.rows.push([`${what} (msg/s)`, fmt(o), fmt(m), fmt(r), `${fmt(oursOverMpop)}x mpop's rate`, `${fmt(oursOverRaw)}x raw's rate; higher is better`]);
  bench.rows.push(['  CPU, user + system (s)', ...cpu(series)]);
  bench.rows.push(['  peak RSS (MiB)', ...(['ours', 'mpop', 'raw'] as const).map((c) => fmt(median(series[c].peakRssKb) / 1024)), '', 'raw: in-process reader']);
  bench.engineRows.push([`${what} (msg/s)`, fmt(e), fmt(r), `${fmt(pairedRatio(series.raw.elapsedMs, series.engine.elapsedMs))}x raw's rate`]);
  bench.targets.push(judge('throughput into a local folder at least mpop\'s (CLI msg/s / mpop msg/s)', oursOverMpop, '>=', 1, 'x', fmt));
  bench.chart.push({ title: what, unit: 'msg/s', lowerIsBetter: false, bars: [{ label: 'ours (CLI)', value: o }, { label: 'mpop', value: m }, { label: 'raw reader', value: r }] });
}

async function fetchAll(bench: Bench, name: string, at: Endpoint, n: number, keepLastOut = false): Promise<Record<Who, Series>> {
  const config = await writeCliConfig(bench, `${name}-cli`, at);
  const mpop = await prepareMpopMaildir(bench, name, at, n);
  const target: BenchTarget = { host: bench.dovecot.host, port: at.port, user: at.user, password: PASSWORD, ca: bench.dovecot.ca };
  const { pipelineWindow: window, pipelineLowWater: lowWater } = DEFAULT_POP3_LIMITS;
  // A new folder per CLI run, like mpop's maildirs, all removed when the benchmark ends: see
  // docs/benchmarks.md, "Fresh folders".
  let runs = 0;
  let out = '';
  try {
    // The raw reader and the engine read every message (server and page cache warm) in about a
    // second; the CLI's own code is loaded from the same warm page cache by their runs.
    const series = await interleave(CONTENDERS, { ...bench, warmupWith: ['raw', 'engine'] }, async (who) => {
      switch (who) {
        case 'ours':
          runs += 1;
          out = join(bench.work, `${name}-out`, `run-${runs}`);
          return runCli(config, out, n, bench.cliCpuProfDir === undefined ? {} : { cpuProfDir: join(bench.cliCpuProfDir, name) });
        case 'mpop':
          return mpop.run();
        case 'raw':
          return checked(await runContender({ kind: 'raw-all', target, window, lowWater }), n, who);
        case 'engine':
          return checked(await runContender({ kind: 'ours-all', target }), n, who);
      }
    });
    if (keepLastOut) bench.primedIdleOut = out;
    return series;
  } finally {
    await mpop.dispose();
  }
}

function checked(r: ContenderResult, expected: number, who: Who): ContenderResult {
  if (r.messages !== expected) throw new Error(`${who} fetched ${r.messages} of ${expected} messages`);
  return r;
}

function cpu(series: Record<Who, Series>): string[] {
  const [o, m, r] = (['ours', 'mpop', 'raw'] as const).map((c) => median(series[c].cpuMs) / 1000) as [number, number, number];
  return [fmt(o), fmt(m), fmt(r), `${fmt(o / m)}x mpop's CPU`, 'raw: in-process, start-up excluded'];
}

function summaries(series: Record<Who, Series>): Record<Who, unknown> {
  return { ours: summarize(series.ours), mpop: summarize(series.mpop), raw: summarize(series.raw), engine: summarize(series.engine) };
}
