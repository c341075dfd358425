/**
 * `npm run bench`: what users run, side by side in one run. The CLI as a whole process
 * (`node dist/lambda/cli/main.js poll`) against mpop into a maildir and a raw pipelined reader,
 * on a slow link and on loopback; the CLI into S3 + EventBridge on loopback and through a delay;
 * an idle poll; memory with a big message; the Lambda bundle. Everything on 127.0.0.1, one
 * private Dovecot, contenders interleaved, medians and paired ratios, every target of issue 10
 * printed met / not met. Writes bench/results/whole-latest.json and docs/benchmarks.svg.
 * Method: docs/benchmarks.md.
 *
 *   npm run bench [-- --reps 3 --only latency,throughput,aws,idle,memory,bundle]
 *   npm run bench -- --only million   issue 15's 1,000,000 kept messages (bench/million/run.ts; long, opt-in)
 *   npm run bench:quick        tiny sizes, one repetition (smoke test; writes under .bench/)
 *   npm run bench -- --only idle --cpu-prof   V8 profiles of the CLI's runs in .bench/profiles/<section>
 *                                             (then: npx tsx bench/profile-summary.ts --by package ...)
 *
 * Exit code: 0 every measured target met, 2 a target not met, 1 the benchmark itself failed
 * (a contender crashed or stored fewer messages than the mailbox holds).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeMessage } from '../../test/support/corpus.js';
import { startDovecot, type DovecotServer } from '../../test/support/dovecot.js';
import { startS3Server, type S3Server } from '../../test/support/s3-server.js';
import { SYNC_LIMITS } from '../../lambda/sync/limits.js';
import { mpopVersion } from '../mpop.js';
import { fmt, table } from '../report.js';
import { awsSection } from './aws-section.js';
import { backlogTarget, bundleSection } from './bundle-section.js';
import { renderChart } from './chart.js';
import { PASSWORD, USERS, type Bench, type Sizes } from './context.js';
import { startEventBridgeServer, type EventBridgeServer } from './eventbridge-server.js';
import { latencySection, throughputSection } from './fetch-sections.js';
import { idleSection } from './idle-section.js';
import { memorySection } from './memory-section.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const KIB = 1024;
const MIB = 1024 * 1024;
const ALL_SECTIONS = ['latency', 'throughput', 'aws', 'idle', 'memory', 'bundle'] as const;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reps: { type: 'string' },
    only: { type: 'string', default: ALL_SECTIONS.join(',') },
    'work-dir': { type: 'string', default: tmpdir() },
    out: { type: 'string' },
    chart: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
  },
});

const QUICK = args.quick;
const REPS = Math.round(positive(args.reps ?? (QUICK ? '1' : '3'), 'reps'));
const SECTIONS = new Set(args.only.split(',').map((s) => s.trim()));
const OUT = args.out ?? join(REPO_ROOT, QUICK ? '.bench' : 'bench/results', QUICK ? 'whole-quick.json' : 'whole-latest.json');
const CHART = args.chart ?? join(REPO_ROOT, QUICK ? '.bench/whole-quick.svg' : 'docs/benchmarks.svg');
const SIZES: Sizes = {
  latencyMessages: QUICK ? 40 : 1000,
  throughputMessages: QUICK ? 200 : 10_000,
  s3Messages: QUICK ? 40 : 1000,
  messageBytes: 4 * KIB,
  s3MessageBytes: 8 * KIB,
  smallBytes: MIB,
  bigBytes: (QUICK ? 8 : 100) * MIB,
  pipelineMessages: QUICK ? 24 : 64,
  pipelineMessageBytes: SYNC_LIMITS.inMemoryBodyBytes - 16 * KIB,
  pipelineDelayMs: 100,
  popDelayMs: 10,
  awsDelayMs: 15,
};

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function main(): Promise<void> {
  // Issue 15's kept-mailbox benchmark (bench/million/run.ts) runs for tens of minutes: on request only.
  if (SECTIONS.delete('million')) {
    execFileSync(process.execPath, [...process.execArgv, fileURLToPath(new URL('../million/run.ts', import.meta.url)), ...(QUICK ? ['--messages', '2000'] : [])], { stdio: 'inherit' });
    if (SECTIONS.size === 0) return;
  }
  for (const s of SECTIONS) if (!(ALL_SECTIONS as readonly string[]).includes(s)) throw new Error(`--only: unknown section ${s}`);
  const startedAt = new Date().toISOString();
  const mpop = await mpopVersion();
  if (mpop === undefined) throw new Error('mpop is not installed (apt-get install mpop)');
  const work = await mkdtemp(join(args['work-dir'], 'bench-whole-'));
  // Profiles of this run only (profiling slows the CLI: such a run's figures are not comparable).
  if (args['cpu-prof']) await rm(join(REPO_ROOT, '.bench', 'profiles'), { recursive: true, force: true });
  const environment = {
    node: process.version,
    git: gitDescription(),
    mpop,
    cpus: `${cpus().length} x ${cpus()[0]?.model.trim() ?? 'unknown'}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    workFilesystem: run('stat', ['-f', '-c', '%T', work]),
    loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))),
  };
  log(`pop3-ingest bench${QUICK ? ' (quick)' : ''}: ${environment.cpus}, node ${environment.node}, ${mpop}, ${REPS} repetitions, work on ${environment.workFilesystem}`);

  let dovecot: DovecotServer | undefined;
  let s3: S3Server | undefined;
  let eventBridge: EventBridgeServer | undefined;
  const cleanup = async () => {
    await Promise.allSettled([dovecot?.stop(), s3?.stop(), eventBridge?.close()]);
    await rm(work, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanup().finally(() => process.exit(130)));
  try {
    [dovecot, s3, eventBridge] = await Promise.all([
      startDovecot({ users: USERS.map((user) => ({ user, password: PASSWORD })), authFailureDelaySeconds: 0 }),
      startS3Server(),
      startEventBridgeServer(),
    ]);
    const bench: Bench = {
      dovecot, s3, eventBridge, work, sizes: SIZES, reps: REPS, warmup: !QUICK, log,
      rows: [['workload', 'ours (CLI)', 'mpop', 'raw', 'ratio', 'note']],
      engineRows: [['workload (engine only: in-process, bytes discarded)', 'engine', 'raw', 'ratio']],
      targets: [], chart: [], results: {},
      ...(args['cpu-prof'] ? { cliCpuProfDir: join(REPO_ROOT, '.bench', 'profiles') } : {}),
    };
    await seedMailboxes(dovecot);
    const sections: Record<(typeof ALL_SECTIONS)[number], (b: Bench) => Promise<void>> = {
      latency: latencySection, throughput: throughputSection, aws: awsSection, idle: idleSection, memory: memorySection, bundle: bundleSection,
    };
    for (const name of ALL_SECTIONS) {
      if (!SECTIONS.has(name)) continue;
      log(`\n${name}`);
      const started = performance.now();
      await sections[name](bench);
      log(`  ${name} took ${fmt((performance.now() - started) / 1000)} s`);
    }
    if (SECTIONS.size === ALL_SECTIONS.length) backlogTarget(bench);
    await report(bench, startedAt, environment);
  } finally {
    await cleanup();
  }
}

async function report(bench: Bench, startedAt: string, environment: Record<string, unknown>): Promise<void> {
  log(`\n${table(bench.rows)}`);
  if (bench.engineRows.length > 1) log(`\nSecondary (a component, not what users run):\n${table(bench.engineRows)}`);
  log('\nTargets of issue 10:');
  for (const t of bench.targets) {
    log(`  ${t.status.toUpperCase().padEnd(12)} ${t.name}: ${t.figure || '-'} (target ${t.threshold})${t.note ? `; ${t.note}` : ''}`);
  }
  const finishedAt = new Date().toISOString();
  const document = {
    command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    quick: QUICK,
    startedAt,
    finishedAt,
    environment: { ...environment, loadAverageAtEnd: loadavg().map((l) => Number(l.toFixed(2))) },
    settings: {
      repetitions: REPS, warmup: bench.warmup, sizes: SIZES, sections: [...SECTIONS],
      timing: 'CLI, mpop and node floors: whole process, spawn to exit; raw reader and engine: in-process, connect to QUIT reply',
      rss: 'VmHWM polled from /proc every 5 ms (whole process); raw and engine read their own VmHWM',
      mpop: 'pipelining on, keep on, received_header off, delivery maildir (fsync per message); idle: --only-new --keep',
      cli: 'poll --config FILE --out DIR --json --quiet, implicit TLS with the test CA; a fresh folder or bucket per run',
    },
    results: bench.results,
    table: bench.rows,
    engineTable: bench.engineRows,
    targets: bench.targets,
  };
  await mkdir(dirname(OUT), { recursive: true });
  await writeFile(OUT, `${JSON.stringify(document, null, 2)}\n`);
  const caption = `${String(environment.git)} · ${finishedAt.slice(0, 16).replace('T', ' ')} UTC · node ${process.version} · ${String(environment.mpop)} · ${String(environment.cpus)} · median of ${REPS}`;
  await mkdir(dirname(CHART), { recursive: true });
  await writeFile(CHART, renderChart(bench.chart, caption));
  log(`\nwritten ${OUT}\nwritten ${CHART}`);
  if (bench.targets.some((t) => t.status === 'not met')) process.exitCode = 2;
}

/** Seeds only the mailboxes the chosen sections read, in batches (Dovecot's seed is per batch). */
async function seedMailboxes(dovecot: DovecotServer): Promise<void> {
  const started = performance.now();
  const seed = async (user: string, count: number, size: number) => {
    for (let i = 0; i < count; i += 500) {
      await dovecot.seed(user, Array.from({ length: Math.min(500, count - i) }, (_, j) => makeMessage(i + j + 1, size)));
    }
  };
  if (SECTIONS.has('latency')) await seed('latency', SIZES.latencyMessages, SIZES.messageBytes);
  if (SECTIONS.has('throughput') || SECTIONS.has('idle')) await seed('throughput', SIZES.throughputMessages, SIZES.messageBytes);
  if (SECTIONS.has('aws')) await seed('s3', SIZES.s3Messages, SIZES.s3MessageBytes);
  if (SECTIONS.has('memory')) {
    await dovecot.seed('mem1', [makeMessage(1, SIZES.smallBytes)]);
    await dovecot.seed('membig', [makeMessage(2, SIZES.bigBytes)]);
    await seed('mempipe', SIZES.pipelineMessages, SIZES.pipelineMessageBytes);
  }
  log(`seeded in ${fmt((performance.now() - started) / 1000)} s`);
}

/** The commit measured, "+dirty" when the working tree has changes. */
function gitDescription(): string {
  const head = run('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = run('git', ['status', '--porcelain', '--untracked-files=no']) !== '';
  return dirty ? `${head}+dirty` : head;
}

function run(command: string, argv: readonly string[]): string {
  try {
    return execFileSync(command, argv, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function positive(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${value}`);
  return n;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
