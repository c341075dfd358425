/**
 * `npm run bench:engine`: our POP3 engine alone (in-process, bytes discarded: a component
 * figure, not what users run; `npm run bench` measures the CLI as a whole process) side by side
 * with mpop and a raw pipelined socket, against one private Dovecot on loopback, in one run.
 * The machine is shared and noisy, so contenders
 * run interleaved (order rotated every repetition), each in a fresh process, and the report
 * gives medians and ratios. Methodology: docs/benchmarks.md.
 *
 *   npm run bench:engine [-- --reps 3 --only latency,throughput,memory --cpu-prof]
 *
 * Exit code: 0 every target met, 2 a target missed, 1 the benchmark itself failed.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_POP3_LIMITS } from '../lambda/pop3/limits.js';
import { makeMessage } from '../test/support/corpus.js';
import { startDovecot, type DovecotServer } from '../test/support/dovecot.js';
import type { BenchTarget, ContenderResult } from './contender-spec.js';
import { runContender } from './contender-runner.js';
import { startLatencyProxy, type LatencyProxy } from './latency-proxy.js';
import { mpopStartMs, mpopVersion, prepareMpop, type MpopAccount } from './mpop.js';
import { fmt, median, pairedRatio, table, verdict, type TargetVerdict } from './report.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    only: { type: 'string', default: 'latency,throughput,memory' },
    'latency-messages': { type: 'string', default: '1000' },
    'throughput-messages': { type: 'string', default: '10000' },
    'message-size': { type: 'string', default: '4096' },
    'big-mb': { type: 'string', default: '100' },
    'delay-ms': { type: 'string', default: '10' },
    'latency-tls': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    /** An alternative compiled engine (index.js) for our contender: measure a candidate fix. */
    engine: { type: 'string' },
    out: { type: 'string', default: join(REPO_ROOT, 'bench', 'results', 'latest.json') },
  },
});

const REPS = positive(args.reps, 'reps');
const SECTIONS = new Set(args.only.split(',').map((s) => s.trim()));
const LATENCY_MESSAGES = positive(args['latency-messages'], 'latency-messages');
const THROUGHPUT_MESSAGES = positive(args['throughput-messages'], 'throughput-messages');
const MESSAGE_SIZE = positive(args['message-size'], 'message-size');
const BIG_BYTES = positive(args['big-mb'], 'big-mb') * 1024 * 1024;
const SMALL_BYTES = 1024 * 1024;
const DELAY_MS = positive(args['delay-ms'], 'delay-ms');
const LATENCY_TLS = args['latency-tls'];
const CPU_PROF_DIR = args['cpu-prof'] ? join(REPO_ROOT, '.bench', 'profiles') : undefined;
const ENGINE = args.engine === undefined ? {} : { engine: args.engine };

const USERS = [
  { user: 'latency', password: 'bench-latency-pw' },
  { user: 'throughput', password: 'bench-throughput-pw' },
  { user: 'big', password: 'bench-big-pw' },
  { user: 'small', password: 'bench-small-pw' },
] as const;

type Contender = 'ours' | 'mpop' | 'raw';

/** Per contender: every repetition's wall time and what else the run measured. */
interface Series {
  elapsedMs: number[];
  /** User + system CPU per repetition: what a contender costs, much less noisy than wall time. */
  cpuMs: number[];
  peakRssKb: number[];
  /** Latency run only: most commands in flight seen at the proxy, per repetition. */
  maxInFlight?: number[];
  /** Latency run only: most command lines in one client chunk, per repetition. */
  maxLinesPerChunk?: number[];
  /** Latency run only: client chunks with command lines (about the client's writes), per repetition. */
  clientChunks?: number[];
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const environment = {
    node: process.version,
    git: gitDescription(),
    mpop: await mpopVersion(),
    /** What process start-up adds to mpop's times (ours are timed in-process). */
    mpopProcessStartMs: round(await mpopStartMs()),
    cpus: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))),
  };
  if (environment.mpop === undefined) throw new Error('mpop is not installed (apt-get install mpop)');
  if (CPU_PROF_DIR) {
    // Profiles of this run only; profiling slows our child, so its figures are not comparable.
    await rm(CPU_PROF_DIR, { recursive: true, force: true });
    await mkdir(CPU_PROF_DIR, { recursive: true });
  }
  log(`pop3-ingest bench: ${environment.cpus}, node ${environment.node}, ${environment.mpop}, ${REPS} repetitions`);

  const dovecot = await startDovecot({ users: USERS });
  // Ctrl-C must not leave our Dovecot behind (a signal skips 'exit' hooks): stop it, then leave.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void dovecot.stop().finally(() => process.exit(130));
    });
  }
  const results: Record<string, unknown> = {};
  const targets: TargetVerdict[] = [];
  const rows: string[][] = [['figure', 'ours', 'mpop', 'raw', 'ratio', 'target', 'verdict']];
  try {
    if (SECTIONS.has('latency')) await latency(dovecot, results, targets, rows);
    if (SECTIONS.has('throughput')) await throughput(dovecot, results, targets, rows);
    if (SECTIONS.has('memory')) await memory(dovecot, results, targets, rows);
  } finally {
    await dovecot.stop();
  }

  log('');
  log(table(rows));
  log('');
  for (const t of targets) log(`${t.pass ? 'PASS' : 'FAIL'}  ${t.name}: ${t.figure} (target ${t.threshold})`);

  const command = process.env.npm_lifecycle_event === 'bench:engine'
    ? ['npm run bench:engine', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ')
    : ['tsx bench/run.ts', ...process.argv.slice(2)].join(' ');
  const report = {
    command,
    startedAt,
    finishedAt: new Date().toISOString(),
    environment: { ...environment, loadAverageAtEnd: loadavg().map((l) => Number(l.toFixed(2))) },
    settings: {
      repetitions: REPS, latencyMessages: LATENCY_MESSAGES, throughputMessages: THROUGHPUT_MESSAGES,
      messageSizeBytes: MESSAGE_SIZE, bigMessageBytes: BIG_BYTES, smallMessageBytes: SMALL_BYTES,
      oneWayDelayMs: DELAY_MS, pipelineWindow: DEFAULT_POP3_LIMITS.pipelineWindow,
      pipelineLowWater: DEFAULT_POP3_LIMITS.pipelineLowWater,
      latencyTransport: LATENCY_TLS
        ? 'implicit TLS through the delaying proxy, all contenders (no in-flight count)'
        : 'plaintext (USER/PASS) through the delaying proxy, all contenders',
      throughputTransport: 'implicit TLS (RFC 8314) on loopback, test CA only',
      mpopDelivery: 'mbox /dev/null, pipelining on, keep on, received_header off',
      engine: args.engine ?? 'dist/lambda/pop3/index.js',
      cpuProfile: CPU_PROF_DIR !== undefined,
    },
    results,
    targets,
  };
  await mkdir(dirname(args.out), { recursive: true });
  await writeFile(args.out, `${JSON.stringify(report, null, 2)}\n`);
  log(`\nwritten ${args.out}`);
  // 2, not 1: a missed target is a figure to read; 1 is kept for a benchmark that broke.
  if (targets.some((t) => !t.pass)) process.exitCode = 2;
}

async function latency(dovecot: DovecotServer, results: Record<string, unknown>, targets: TargetVerdict[], rows: string[][]): Promise<void> {
  log(`\nlatency: seeding ${LATENCY_MESSAGES} messages of ${MESSAGE_SIZE} B`);
  await seed(dovecot, 'latency', LATENCY_MESSAGES, MESSAGE_SIZE);
  // Plaintext by default so the proxy can count commands in flight; --latency-tls times the same
  // run over implicit TLS (the proxy then sees ciphertext: no in-flight figures).
  // The plain port Dovecot deems loopback-secured (cleartext login allowed), without the
  // harness's PROXY-protocol relay: no extra hop in this process besides our own proxy.
  const upstreamPort = LATENCY_TLS ? dovecot.pop3sPort : dovecot.pop3TrustedPort;
  const proxy: LatencyProxy = await startLatencyProxy({ upstreamHost: dovecot.host, upstreamPort, delayMs: DELAY_MS });
  const account = accountOf(dovecot, 'latency', proxy.port, LATENCY_TLS);
  const mpop = await prepareMpop(account);
  try {
    // The raw reader runs too, as a reference (no target): the slow link's practical limit.
    const series = await interleave(['ours', 'mpop', 'raw'], async (who) => {
      proxy.resetStats();
      const target = targetOf(dovecot, account);
      const run = who === 'ours' ? await ours(target) : who === 'mpop' ? await mpop.run() : await raw(target, LATENCY_MESSAGES);
      if (LATENCY_TLS) return run;
      const seen = proxy.stats();
      if (seen.fetchCommands !== LATENCY_MESSAGES || seen.unexpectedReplies !== 0) {
        throw new Error(`${who} sent ${seen.fetchCommands} RETR/TOP for ${LATENCY_MESSAGES} messages (${seen.unexpectedReplies} unexpected replies)`);
      }
      return { ...run, maxInFlight: seen.maxInFlight, maxLinesPerChunk: seen.maxLinesPerChunk, clientChunks: seen.clientChunks };
    });
    const [o, m, r] = [median(series.ours.elapsedMs), median(series.mpop.elapsedMs), median(series.raw.elapsedMs)];
    results.latency = {
      messages: LATENCY_MESSAGES, oneWayDelayMs: DELAY_MS, transport: LATENCY_TLS ? 'implicit TLS' : 'plaintext',
      ours: summarize(series.ours), mpop: summarize(series.mpop), raw: summarize(series.raw),
      oursOverMpop: pairedRatio(series.ours.elapsedMs, series.mpop.elapsedMs),
      oursOverRaw: pairedRatio(series.ours.elapsedMs, series.raw.elapsedMs),
      ratioOfMedians: { oursOverMpop: o / m, oursOverRaw: o / r },
    };
    const lm = pairedRatio(series.ours.elapsedMs, series.mpop.elapsedMs);
    const t = verdict('latency run no slower than mpop (ours/mpop wall time)', lm, '<=', 1, 'x');
    targets.push(t);
    rows.push([`latency ${LATENCY_MESSAGES} x ${MESSAGE_SIZE} B, +${DELAY_MS} ms each way, ${LATENCY_TLS ? 'TLS' : 'plain'} (ms)`, fmt(o), fmt(m), fmt(r), `${fmt(lm)}x mpop`, t.threshold, t.pass ? 'PASS' : 'FAIL']);
    const [oc, mc, rc] = [median(series.ours.cpuMs), median(series.mpop.cpuMs), median(series.raw.cpuMs)];
    rows.push(['  CPU time, user + system (ms)', fmt(oc), fmt(mc), fmt(rc), `${fmt(oc / mc)}x mpop`, '', '']);
    const most = (s: Series, key: 'maxInFlight' | 'maxLinesPerChunk' | 'clientChunks') => (s[key] ? String(Math.max(...s[key])) : 'n/a');
    rows.push(['  most commands in flight (at proxy)', most(series.ours, 'maxInFlight'), most(series.mpop, 'maxInFlight'), most(series.raw, 'maxInFlight'), '', '', '']);
    rows.push(['  most command lines in one chunk', most(series.ours, 'maxLinesPerChunk'), most(series.mpop, 'maxLinesPerChunk'), most(series.raw, 'maxLinesPerChunk'), '', '', '']);
    rows.push(['  client chunks sent (about its writes)', most(series.ours, 'clientChunks'), most(series.mpop, 'clientChunks'), most(series.raw, 'clientChunks'), '', '', '']);
  } finally {
    await mpop.dispose();
    await proxy.close();
  }
}

async function throughput(dovecot: DovecotServer, results: Record<string, unknown>, targets: TargetVerdict[], rows: string[][]): Promise<void> {
  log(`\nthroughput: seeding ${THROUGHPUT_MESSAGES} messages of ${MESSAGE_SIZE} B`);
  await seed(dovecot, 'throughput', THROUGHPUT_MESSAGES, MESSAGE_SIZE);
  const account = accountOf(dovecot, 'throughput', dovecot.pop3sPort, true);
  const target = targetOf(dovecot, account);
  const mpop = await prepareMpop(account);
  try {
    const series = await interleave(['ours', 'mpop', 'raw'], async (who) => {
      if (who === 'ours') return ours(target);
      if (who === 'mpop') return mpop.run();
      return raw(target, THROUGHPUT_MESSAGES);
    });
    const rate = (s: Series) => THROUGHPUT_MESSAGES / (median(s.elapsedMs) / 1000);
    const [o, m, r] = [rate(series.ours), rate(series.mpop), rate(series.raw)];
    results.throughput = {
      messages: THROUGHPUT_MESSAGES,
      ours: { ...summarize(series.ours), messagesPerSecond: o },
      mpop: { ...summarize(series.mpop), messagesPerSecond: m },
      raw: { ...summarize(series.raw), messagesPerSecond: r },
      // A rate ratio is the inverse time ratio: mpop's time over ours, paired per repetition.
      oursOverMpop: pairedRatio(series.mpop.elapsedMs, series.ours.elapsedMs),
      oursOverRaw: pairedRatio(series.raw.elapsedMs, series.ours.elapsedMs),
      ratioOfMedians: { oursOverMpop: o / m, oursOverRaw: o / r },
    };
    const [tm, tr] = [pairedRatio(series.mpop.elapsedMs, series.ours.elapsedMs), pairedRatio(series.raw.elapsedMs, series.ours.elapsedMs)];
    const vm = verdict('throughput at least mpop\'s (ours/mpop messages/s)', tm, '>=', 1, 'x');
    const vr = verdict('throughput at least 80% of the raw reader (ours/raw messages/s)', tr, '>=', 0.8, 'x');
    targets.push(vm, vr);
    rows.push([`throughput ${THROUGHPUT_MESSAGES} x ${MESSAGE_SIZE} B, TLS (msg/s)`, fmt(o), fmt(m), fmt(r), `${fmt(tm)}x mpop`, vm.threshold, vm.pass ? 'PASS' : 'FAIL']);
    rows.push(['', '', '', '', `${fmt(tr)}x raw`, vr.threshold, vr.pass ? 'PASS' : 'FAIL']);
    const cpu = (s: Series) => median(s.cpuMs);
    const [oc, mc, rc] = [cpu(series.ours), cpu(series.mpop), cpu(series.raw)];
    rows.push(['  CPU time, user + system (ms)', fmt(oc), fmt(mc), fmt(rc), `${fmt(oc / mc)}x mpop, ${fmt(oc / rc)}x raw`, '', '']);
  } finally {
    await mpop.dispose();
  }
}

async function memory(dovecot: DovecotServer, results: Record<string, unknown>, targets: TargetVerdict[], rows: string[][]): Promise<void> {
  log(`\nmemory: seeding one ${BIG_BYTES / 2 ** 20} MiB and one ${SMALL_BYTES / 2 ** 20} MiB message`);
  await dovecot.seed('big', [makeMessage(1, BIG_BYTES)]);
  await dovecot.seed('small', [makeMessage(2, SMALL_BYTES)]);
  const bigAccount = accountOf(dovecot, 'big', dovecot.pop3sPort, true);
  const smallAccount = accountOf(dovecot, 'small', dovecot.pop3sPort, true);
  const mpop = await prepareMpop(bigAccount);
  try {
    const hash = async (account: MpopAccount, bytes: number) => {
      const r = await runContender({ kind: 'ours-hash-first', target: targetOf(dovecot, account), ...ENGINE }, childOptions('memory'));
      if (r.bytes < bytes) throw new Error(`ours read ${r.bytes} of ${bytes} bytes`);
      return r;
    };
    const series = await interleave(['ours-small', 'ours-big', 'mpop-big'] as const, async (who) => {
      if (who === 'ours-small') return hash(smallAccount, SMALL_BYTES);
      if (who === 'ours-big') return hash(bigAccount, BIG_BYTES);
      return mpop.run();
    });
    const small = median(series['ours-small'].peakRssKb) / 1024;
    const big = median(series['ours-big'].peakRssKb) / 1024;
    const mpopBig = median(series['mpop-big'].peakRssKb) / 1024;
    results.memory = {
      oursSmallMessage: summarize(series['ours-small']),
      oursBigMessage: summarize(series['ours-big']),
      mpopBigMessage: summarize(series['mpop-big']),
      oursGrowthMiB: big - small,
    };
    const v = verdict(`RSS growth from a 1 MiB to a ${BIG_BYTES / 2 ** 20} MiB message (MiB)`, big - small, '<=', 16, ' MiB');
    targets.push(v);
    rows.push([`peak RSS, 1 MiB message (MiB)`, fmt(small), '-', '-', '', '', '']);
    rows.push([`peak RSS, ${BIG_BYTES / 2 ** 20} MiB message (MiB)`, fmt(big), fmt(mpopBig), '-', `+${fmt(big - small)} MiB`, v.threshold, v.pass ? 'PASS' : 'FAIL']);
  } finally {
    await mpop.dispose();
  }
}

/**
 * Runs every contender once untimed (Dovecot builds its index and the page cache fills on the
 * first session), then REPS rounds, rotating who goes first so no one always runs after the
 * same neighbour.
 */
async function interleave<K extends string>(
  contenders: readonly K[],
  runOnce: (who: K) => Promise<{
    elapsedMs: number; cpuMs: number; peakRssKb: number; maxInFlight?: number; maxLinesPerChunk?: number; clientChunks?: number;
  }>,
): Promise<Record<K, Series>> {
  const series = Object.fromEntries(contenders.map((c) => [c, { elapsedMs: [], cpuMs: [], peakRssKb: [] } as Series])) as Record<K, Series>;
  for (const who of contenders) await runOnce(who);
  for (let rep = 0; rep < REPS; rep += 1) {
    const order = contenders.map((_, i) => contenders[(i + rep) % contenders.length] as K);
    for (const who of order) {
      const r = await runOnce(who);
      const s = series[who];
      s.elapsedMs.push(r.elapsedMs);
      s.cpuMs.push(r.cpuMs);
      s.peakRssKb.push(r.peakRssKb);
      if (r.maxInFlight !== undefined) (s.maxInFlight ??= []).push(r.maxInFlight);
      if (r.maxLinesPerChunk !== undefined) (s.maxLinesPerChunk ??= []).push(r.maxLinesPerChunk);
      if (r.clientChunks !== undefined) (s.clientChunks ??= []).push(r.clientChunks);
      log(`  rep ${rep + 1} ${who}: ${fmt(r.elapsedMs)} ms, CPU ${fmt(r.cpuMs)} ms, peak RSS ${fmt(r.peakRssKb / 1024)} MiB`
        + (r.maxInFlight === undefined ? '' : `, max in flight ${r.maxInFlight}`));
    }
  }
  return series;
}

async function ours(target: BenchTarget): Promise<ContenderResult> {
  const section = target.user === 'latency' ? 'latency' : 'throughput';
  const expected = section === 'latency' ? LATENCY_MESSAGES : THROUGHPUT_MESSAGES;
  return checked(await runContender({ kind: 'ours-all', target, ...ENGINE }, childOptions(section)), expected, 'ours');
}

async function raw(target: BenchTarget, expected: number): Promise<ContenderResult> {
  const { pipelineWindow: window, pipelineLowWater: lowWater } = DEFAULT_POP3_LIMITS;
  return checked(await runContender({ kind: 'raw-all', target, window, lowWater }), expected, 'raw');
}

function checked(result: ContenderResult, expected: number, who: Contender): ContenderResult {
  if (result.messages !== expected) throw new Error(`${who} fetched ${result.messages} of ${expected} messages`);
  return result;
}

function summarize(s: Series): Record<string, unknown> {
  return {
    elapsedMs: s.elapsedMs.map(round),
    medianElapsedMs: round(median(s.elapsedMs)),
    cpuMs: s.cpuMs.map(round),
    medianCpuMs: round(median(s.cpuMs)),
    peakRssKb: s.peakRssKb,
    medianPeakRssKb: median(s.peakRssKb),
    ...(s.maxInFlight ? { maxInFlight: s.maxInFlight } : {}),
    ...(s.maxLinesPerChunk ? { maxLinesPerChunk: s.maxLinesPerChunk } : {}),
    ...(s.clientChunks ? { clientChunks: s.clientChunks } : {}),
  };
}

async function seed(dovecot: DovecotServer, user: string, count: number, size: number): Promise<void> {
  const started = performance.now();
  const batch = 500;
  for (let i = 0; i < count; i += batch) {
    await dovecot.seed(user, Array.from({ length: Math.min(batch, count - i) }, (_, j) => makeMessage(i + j + 1, size)));
  }
  log(`  seeded in ${fmt(performance.now() - started)} ms`);
}

function accountOf(dovecot: DovecotServer, user: string, port: number, tls: boolean): MpopAccount {
  const found = dovecot.users.find((u) => u.user === user);
  if (!found) throw new Error(`no bench user ${user}`);
  return { host: dovecot.host, port, user, password: found.password, ...(tls ? { caFile: dovecot.certs.caFile } : {}) };
}

/** The same mailbox for our Node contenders: the CA as PEM text rather than a file. */
function targetOf(dovecot: DovecotServer, account: MpopAccount): BenchTarget {
  const { host, port, user, password } = account;
  return { host, port, user, password, ...(account.caFile === undefined ? {} : { ca: dovecot.ca }) };
}

/** Our children only: with --cpu-prof, one profile folder per section. */
function childOptions(section: 'latency' | 'throughput' | 'memory') {
  return CPU_PROF_DIR === undefined ? {} : { cpuProfDir: join(CPU_PROF_DIR, section) };
}

/** The commit measured, "+dirty" when the working tree has changes (read-only git calls). */
function gitDescription(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}

function positive(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${value}`);
  return n;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
