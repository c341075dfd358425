/**
 * `npm run bench:e2e`: issue 6 end to end. The Lambda handler and the CLI against one private
 * Dovecot, the S3 API on loopback (fauxqs) and EventBridge / Secrets Manager faked and counted
 * at the SDK: backlog drain (keep, then delete), idle poll (vs mpop --only-new), many mailboxes,
 * memory for a 1 MB vs a 100 MB message, and the cost per 1M messages from the counted requests.
 * Figures and how to read them: docs/scaling.md.
 *
 *   npm run bench:e2e [-- --scale 0.1 --only memory,idle,mailboxes,backlog --budget-ms 20000 --backlog-messages N]
 *                       [--backlog-modes keep,delete --aws-delay-ms 15 --pop3-delay-ms 0]
 *
 * The backlog drain publishes over HTTP to a loopback PutEvents fake (eventbridge-http.ts);
 * --aws-delay-ms puts S3 and that fake behind bench/latency-proxy.ts (that many ms each way per
 * chunk), --pop3-delay-ms does the same for Dovecot.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { makeMessage } from '../../test/support/corpus.js';
import { startDovecot, type DovecotServer, type DovecotUser } from '../../test/support/dovecot.js';
import { startS3Server, testS3Client, type S3Server } from '../../test/support/s3-server.js';
import { mpopVersion } from '../mpop.js';
import { fmt, table } from '../report.js';
import { drain, type DrainFigures } from './backlog.js';
import { runCliPoll } from './cli.js';
import { seedCorpus, type SeededCorpus } from './corpus.js';
import { runIdle, type IdleFigures } from './idle.js';
import { invokeInChild } from './invoke.js';
import { startBacklogLinks } from './links.js';
import { prepareOnlyNewMpop } from './mpop-only-new.js';
import { costPerMillion, percentile, PRICES, sesCostPerMillion, sessionOverlap, type CostPerMillion, type SessionOverlap } from './stats.js';
import { checkDrain, type DrainCheck } from './verify.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MB = 1024 * 1024;
const BUCKET = 'bench-e2e';
const BUS = 'bench-e2e-bus';
const SECRET_ID = 'pop3/bench';
/** Every bench user has this password; the Secrets Manager fake returns it. */
const PASSWORD = 'bench-e2e-pw 7';
/** The poller construct's default memory (infra/constructs/poller-function.ts), for GB-s. */
const LAMBDA_MEMORY_MB = 512;

const { values: args } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    only: { type: 'string', default: 'memory,idle,mailboxes,backlog' },
    'budget-ms': { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '16' },
    reps: { type: 'string', default: '3' },
    'big-mb': { type: 'string', default: '100' },
    /** Overrides the scaled backlog size (e.g. to stay under an emulator's limits). */
    'backlog-messages': { type: 'string' },
    /** Which drains the backlog section runs, in order. */
    'backlog-modes': { type: 'string', default: 'keep,delete' },
    /** One-way delay per chunk added to S3 and EventBridge in the backlog drain (0: direct). */
    'aws-delay-ms': { type: 'string', default: '0' },
    /** The same for the POP3 connection of the backlog drain. */
    'pop3-delay-ms': { type: 'string', default: '0' },
    out: { type: 'string', default: join(REPO_ROOT, 'bench', 'results', 'e2e-latest.json') },
  },
});

const SCALE = positive(args.scale, 'scale');
const SECTIONS = new Set(args.only.split(',').map((s) => s.trim()));
const BUDGET_MS = positive(args['budget-ms'], 'budget-ms');
const CONCURRENCY = Math.min(64, Math.round(positive(args.concurrency, 'concurrency')));
const REPS = Math.round(positive(args.reps, 'reps'));
const BIG_BYTES = Math.round(positive(args['big-mb'], 'big-mb') * MB);
const AWS_DELAY_MS = nonNegative(args['aws-delay-ms'], 'aws-delay-ms');
const POP3_DELAY_MS = nonNegative(args['pop3-delay-ms'], 'pop3-delay-ms');
const BACKLOG_MODES = args['backlog-modes'].split(',').map((m) => m.trim()).filter((m) => m !== '');
for (const m of BACKLOG_MODES) if (m !== 'keep' && m !== 'delete') throw new Error(`--backlog-modes: keep and/or delete, got ${m}`);
const SIZES = {
  backlog: args['backlog-messages'] === undefined ? Math.max(10, Math.round(100_000 * SCALE)) : Math.round(positive(args['backlog-messages'], 'backlog-messages')),
  idle: Math.max(10, Math.round(10_000 * SCALE)),
  mailboxes: Math.max(2, Math.round(200 * SCALE)),
};
const MAILBOX_IDS = Array.from({ length: SIZES.mailboxes }, (_, i) => `mbx${String(i + 1).padStart(4, '0')}`);

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const environment = {
    node: process.version,
    mpop: await mpopVersion(),
    cpus: `${cpus().length} x ${cpus()[0]?.model.trim() ?? '?'}`,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))),
  };
  log(`bench:e2e scale ${SCALE}: backlog ${SIZES.backlog}, idle ${SIZES.idle}, mailboxes ${SIZES.mailboxes}, budget ${BUDGET_MS} ms`);
  log(`backlog: modes ${BACKLOG_MODES.join(',')}, +${AWS_DELAY_MS} ms each way per chunk to S3 and EventBridge, +${POP3_DELAY_MS} ms to POP3`);

  const users: DovecotUser[] = ['keep', 'drain', 'idle', 'mem1', 'membig', ...MAILBOX_IDS].map((user) => ({ user, password: PASSWORD }));
  const work = await mkdtemp(join(tmpdir(), 'bench-e2e-'));
  let dovecot: DovecotServer | undefined;
  let s3server: S3Server | undefined;
  const results: Record<string, unknown> = {};
  const rows: string[][] = [['figure', 'ours', 'reference / target', 'note']];
  try {
    [dovecot, s3server] = await Promise.all([startDovecot({ users, authFailureDelaySeconds: 0 }), startS3Server()]);
    const s3 = testS3Client(s3server.endpoint);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const lambdaEnv = lambdaEnvironment(dovecot, s3server.endpoint);
    // The in-process handler (idle section) reads the same environment.
    Object.assign(process.env, lambdaEnv, { POWERTOOLS_METRICS_DISABLED: 'true' });

    // A long run interrupted (Ctrl-C, a deadline) still stops what it started and keeps its figures.
    const onSignal = (): void => {
      log('interrupted: stopping Dovecot and the S3 emulator');
      void cleanup().finally(() => process.exit(130));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const sections: Array<[string, () => Promise<unknown>]> = [
      ['memory', () => memorySection(dovecot!, lambdaEnv, rows)],
      ['idle', () => idleSection(dovecot!, lambdaEnv, work, rows)],
      ['mailboxes', () => mailboxesSection(dovecot!, work, rows)],
      ['backlog', () => backlogSection(dovecot!, s3server!, lambdaEnv, work, rows)],
    ];
    for (const [name, run] of sections) {
      if (!SECTIONS.has(name)) continue;
      results[name] = await run();
      // Written after every section: a run stopped later keeps what it measured (partial: true).
      await writeReport(true);
    }
    await writeReport(false);
  } finally {
    await cleanup();
  }
  process.stdout.write(`\n${table(rows)}\n\nwritten to ${args.out}\n`);

  async function cleanup(): Promise<void> {
    await Promise.allSettled([dovecot?.stop(), s3server?.stop()]);
    await rm(work, { recursive: true, force: true });
  }

  async function writeReport(partial: boolean): Promise<void> {
    const report = {
      command: `npm run bench:e2e -- ${process.argv.slice(2).join(' ')}`.trim(),
      partial,
      startedAt,
      finishedAt: new Date().toISOString(),
      environment: { ...environment, loadAverageAtEnd: loadavg().map((l) => Number(l.toFixed(2))) },
      settings: {
        scale: SCALE, sizes: SIZES, budgetMs: BUDGET_MS, cliConcurrency: CONCURRENCY, repetitions: REPS, bigMessageBytes: BIG_BYTES,
        lambdaMemoryMb: LAMBDA_MEMORY_MB, prices: PRICES,
        backlogModes: BACKLOG_MODES, awsDelayMsEachWay: AWS_DELAY_MS, pop3DelayMsEachWay: POP3_DELAY_MS,
        backlogEventBridge: 'PutEvents over HTTP to a loopback fake (bench/e2e/eventbridge-http.ts); delays: bench/latency-proxy.ts, per chunk, each way',
        rssMethod: 'each invocation in a fresh child process; VmHWM of that process after the handler returned (baseline: VmHWM once modules are loaded)',
      },
      results,
      table: rows,
    };
    await mkdir(dirname(args.out), { recursive: true });
    await writeFile(args.out, `${JSON.stringify(report, null, 2)}\n`);
  }
}

// ---------------------------------------------------------------------------------------------
// Sections

/** Peak RSS of one invocation storing a 1 MB, then a BIG_BYTES message through S3 multipart. */
async function memorySection(dovecot: DovecotServer, env: NodeJS.ProcessEnv, rows: string[][]) {
  log('memory: seeding 1 MB and big messages');
  await dovecot.seed('mem1', [makeMessage(1, MB)]);
  await dovecot.seed('membig', [makeMessage(2, BIG_BYTES)]);
  const one = await invokeInChild({ event: { mailboxId: 'mem1' }, budgetMs: 300_000, secret: PASSWORD }, env);
  const big = await invokeInChild({ event: { mailboxId: 'membig' }, budgetMs: 300_000, secret: PASSWORD }, env);
  for (const [name, inv] of [['mem1', one], ['membig', big]] as const) {
    const s = inv.summaries[0];
    if (s?.status !== 'ok' || s.stored !== 1) throw new Error(`memory: ${name} not stored: ${JSON.stringify(s ?? inv.error)}`);
  }
  const mib = (kb: number) => kb / 1024;
  rows.push(
    ['memory: peak RSS, 1 MB message', `${fmt(mib(one.peakRssKb))} MiB`, `baseline ${fmt(mib(one.baselineRssKb))} MiB`, 'child VmHWM; baseline = modules loaded'],
    [
      `memory: peak RSS, ${fmt(BIG_BYTES / MB)} MB message`,
      `${fmt(mib(big.peakRssKb))} MiB`,
      `+${fmt(mib(big.peakRssKb - one.peakRssKb))} MiB vs 1 MB`,
      `${big.s3.UploadPartCommand ?? 0} parts; ${fmt(BIG_BYTES / MB / (big.handlerMs / 1000))} MB/s`,
    ],
  );
  return {
    oneMb: { peakRssKb: one.peakRssKb, baselineRssKb: one.baselineRssKb, handlerMs: one.handlerMs, s3: one.s3 },
    big: { bytes: BIG_BYTES, peakRssKb: big.peakRssKb, baselineRssKb: big.baselineRssKb, handlerMs: big.handlerMs, s3: big.s3 },
  };
}

async function idleSection(dovecot: DovecotServer, env: NodeJS.ProcessEnv, work: string, rows: string[][]): Promise<IdleFigures> {
  log(`idle: seeding ${SIZES.idle} messages`);
  await seedCorpus(dovecot, 'idle', SIZES.idle, { smallOnly: true });
  const cliDir = join(work, 'idle-cli');
  await mkdir(cliDir, { recursive: true });
  const cliConfig = join(cliDir, 'config.json');
  await writeFile(cliConfig, JSON.stringify({ mailboxes: [cliMailbox(dovecot, 'idle', 'idle')] }), { mode: 0o600 });
  const mpop = await prepareOnlyNewMpop({ host: dovecot.host, port: dovecot.pop3sPort, user: 'idle', password: PASSWORD, caFile: dovecot.certs.caFile });
  try {
    const figures = await runIdle({
      reps: REPS,
      log,
      primeHandler: async () => {
        const primed = await drain(
          { mailboxId: 'idle', budgetMs: 900_000, maxInvocations: 5, secret: PASSWORD, storedLog: join(work, 'idle-stored.log'), env, log },
          { messages: SIZES.idle, bytes: 0, largeMessages: 0, sesChunks: 0, sha256: new Map() },
        );
        if (!primed.drained) throw new Error('idle: the handler could not take in the mailbox');
      },
      cli: () => runCliPoll(['--config', cliConfig, '--out', join(cliDir, 'out')], { ...process.env, BENCH_PW: PASSWORD }),
      mpop: () => mpop.run(),
      secret: PASSWORD,
    });
    rows.push(
      [`idle poll, ${SIZES.idle} kept, handler in-process`, `${fmt(figures.handler.medianMs)} ms`, `mpop --only-new ${fmt(figures.mpop.medianMs)} ms`, 'median of reps'],
      [`idle poll, ${SIZES.idle} kept, CLI process`, `${fmt(figures.cli.medianMs)} ms`, `mpop --only-new ${fmt(figures.mpop.medianMs)} ms`, `peak RSS ${fmt(figures.cli.peakRssKb / 1024)} MiB vs mpop ${fmt(figures.mpop.peakRssKb / 1024)} MiB`],
      [
        'idle poll AWS requests (warm)',
        describeCounts(figures.handler.warmRequests),
        'target: 1 state read, 0 writes, 1 event',
        `cold adds: ${describeCounts(diffCounts(figures.handler.coldRequests, figures.handler.warmRequests))}`,
      ],
    );
    return figures;
  } finally {
    await mpop.dispose();
  }
}

async function mailboxesSection(dovecot: DovecotServer, work: string, rows: string[][]) {
  log(`mailboxes: seeding ${SIZES.mailboxes} mailboxes x 3 messages`);
  for (const [i, id] of MAILBOX_IDS.entries()) await dovecot.seed(id, [1, 2, 3].map((k) => makeMessage(i * 10 + k, 4_000 + k * 1_000)));
  const dir = join(work, 'many');
  await mkdir(dir, { recursive: true });
  const config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify({ mailboxes: MAILBOX_IDS.map((id) => cliMailbox(dovecot, id, id)) }), { mode: 0o600 });
  const env = { ...process.env, BENCH_PW: PASSWORD };
  const runOnce = async (label: string) => {
    const since = dovecot.logs().length;
    const run = await runCliPoll(['--config', config, '--out', join(dir, 'out'), '--concurrency', String(CONCURRENCY)], env);
    const overlap: SessionOverlap = sessionOverlap(dovecot.logs().slice(since));
    const durations = run.summaries.map((s) => s.durationMs);
    const failed = run.summaries.filter((s) => s.status !== 'ok').map((s) => `${s.mailboxId}:${s.status}`);
    const figures = {
      wallMs: run.wallMs,
      p50Ms: percentile(durations, 50),
      p99Ms: percentile(durations, 99),
      stored: run.summaries.reduce((a, s) => a + s.stored, 0),
      failed,
      peakRssKb: run.peakRssKb,
      overlap,
    };
    log(`  ${label}: ${fmt(run.wallMs)} ms, p50 ${fmt(figures.p50Ms)} p99 ${fmt(figures.p99Ms)} ms, logins ${overlap.logins}, max per mailbox ${overlap.maxPerUser}, max total ${overlap.maxTotal}`);
    if (overlap.maxPerUser > 1) throw new Error(`mailboxes: two sessions at once on ${overlap.overlappingUsers.join(', ')}`);
    if (overlap.logins !== SIZES.mailboxes) throw new Error(`mailboxes: ${overlap.logins} logins in Dovecot's log for ${SIZES.mailboxes} mailboxes`);
    if (failed.length > 0) throw new Error(`mailboxes: failed polls ${failed.slice(0, 5).join(', ')}`);
    return figures;
  };
  const first = await runOnce('first poll (3 new each)');
  const idle = await runOnce('second poll (nothing new)');
  rows.push(
    [`${SIZES.mailboxes} mailboxes, CLI -c ${CONCURRENCY}, 3 new each`, `${fmt(first.wallMs)} ms total`, `p50 ${fmt(first.p50Ms)} / p99 ${fmt(first.p99Ms)} ms per mailbox`, `max ${first.overlap.maxPerUser} session per mailbox, ${first.overlap.maxTotal} at once`],
    [`${SIZES.mailboxes} mailboxes, CLI -c ${CONCURRENCY}, idle`, `${fmt(idle.wallMs)} ms total`, `p50 ${fmt(idle.p50Ms)} / p99 ${fmt(idle.p99Ms)} ms per mailbox`, `max ${idle.overlap.maxPerUser} session per mailbox, ${idle.overlap.maxTotal} at once`],
  );
  return { mailboxes: SIZES.mailboxes, concurrency: CONCURRENCY, first, idle };
}

async function backlogSection(dovecot: DovecotServer, s3server: S3Server, env: NodeJS.ProcessEnv, work: string, rows: string[][]) {
  const s3 = testS3Client(s3server.endpoint);
  const out: Record<string, {
    corpus: Omit<SeededCorpus, 'sha256'>; drain: Omit<DrainFigures, 'perInvocation'> & { perInvocation?: unknown }; check: DrainCheck; cost: CostPerMillion; ses: number;
    perMillion: { invocations: number; handlerSeconds: number; gbSeconds: number };
  }> = {};
  const delays = AWS_DELAY_MS > 0 || POP3_DELAY_MS > 0 ? ` (+${AWS_DELAY_MS} ms S3/EB, +${POP3_DELAY_MS} ms POP3)` : '';
  const modes = ([['keep', 'keep'], ['delete', 'drain']] as const).filter(([mode]) => BACKLOG_MODES.includes(mode));
  for (const [mode, user] of modes) {
    log(`backlog ${mode}: seeding ${SIZES.backlog} messages`);
    const seedStarted = performance.now();
    const corpus = await seedCorpus(dovecot, user, SIZES.backlog);
    log(`  seeded ${fmt(corpus.bytes / MB)} MB (${corpus.largeMessages} large) in ${fmt((performance.now() - seedStarted) / 1000)} s`);
    const storedLog = join(work, `${user}-stored.log`);
    const maxInvocations = Math.max(20, Math.ceil(SIZES.backlog / 500));
    const links = await startBacklogLinks({
      s3Endpoint: s3server.endpoint, pop3Port: dovecot.pop3sPort, awsDelayMs: AWS_DELAY_MS, pop3DelayMs: POP3_DELAY_MS, storedLog,
      config: (pop3Port) => lambdaEnvironment(dovecot, s3server.endpoint, pop3Port).POP3_INGEST_CONFIG ?? '',
    });
    let figures: DrainFigures;
    let refused: number;
    try {
      figures = await drain({ mailboxId: user, budgetMs: BUDGET_MS, maxInvocations, secret: PASSWORD, storedLog, env: { ...env, ...links.env }, eventBridge: links.eventBridge, log }, corpus);
      refused = links.eventBridge.refused();
    } finally {
      await links.close();
    }
    log(`  drained=${figures.drained} in ${figures.invocations} invocations, ${refused} PutEvents refused; verifying`);
    const check = await checkDrain(s3, BUCKET, `mail/${user}/`, user, corpus, storedLog);
    // The emulator keeps objects in memory: drop the checked ones before the next drain.
    await deletePrefix(s3, BUCKET, `mail/${user}/`);
    const left = (await dovecot.maildirFiles(user)).length;
    const serverOk = (mode === 'keep' ? left === corpus.messages : left === 0) && refused === 0;
    log(`  check ok=${check.ok} objects ${check.objects} missing ${check.missing} extra ${check.extraOrDuplicate} unpublished ${check.unpublished}; server keeps ${left}`);
    const cost = costPerMillion({
      messages: corpus.messages,
      s3: figures.s3,
      putEventsCalls: figures.putEventsCalls,
      eventChunks: figures.eventChunks,
      secretsManagerCalls: figures.secretsManagerCalls,
      invocations: figures.invocations,
      lambdaSeconds: figures.totalHandlerMs / 1000,
      lambdaMemoryMb: LAMBDA_MEMORY_MB,
    });
    const ses = sesCostPerMillion(corpus.messages, corpus.sesChunks);
    const { sha256: _hashes, ...corpusFigures } = corpus;
    // What Lambda bills: handler time x configured memory (docs/cost.md), scaled to 1M messages.
    const perMillionFactor = 1_000_000 / corpus.messages;
    const perMillion = {
      invocations: figures.invocations * perMillionFactor,
      handlerSeconds: (figures.totalHandlerMs / 1000) * perMillionFactor,
      gbSeconds: (figures.totalHandlerMs / 1000) * perMillionFactor * (LAMBDA_MEMORY_MB / 1024),
    };
    out[mode] = { corpus: corpusFigures, drain: figures, check: { ...check, ok: check.ok && serverOk && figures.drained }, cost, ses, perMillion };
    // The figures are still written and printed; the exit code says the guarantee did not hold.
    if (!(check.ok && serverOk && figures.drained)) process.exitCode = 1;
    const handlerSeconds = figures.totalHandlerMs / 1000;
    rows.push(
      [
        `backlog ${mode}${delays}: ${corpus.messages} msgs, ${fmt(corpus.bytes / MB)} MB`,
        `${figures.invocations} invocations, ${fmt(figures.totalWallMs / 1000)} s`,
        `${fmt(figures.messagesPerSecond)} msg/s, ${fmt(figures.megabytesPerSecond)} MB/s (wall)`,
        `handler only: ${fmt(corpus.messages / handlerSeconds)} msg/s, ${fmt(corpus.bytes / MB / handlerSeconds)} MB/s`,
      ],
      [
        `backlog ${mode}: peak RSS per invocation`,
        `max ${fmt(figures.peakRssKbMax / 1024)} MiB, median ${fmt(figures.peakRssKbMedian / 1024)} MiB`,
        `baseline ${fmt(figures.baselineRssKbMedian / 1024)} MiB`,
        `budget ${fmt(BUDGET_MS / 1000)} s per invocation`,
      ],
      [
        `backlog ${mode}: Lambda per 1M msgs`,
        `${fmt(perMillion.gbSeconds)} GB-s`,
        `${fmt(perMillion.handlerSeconds)} s handler at ${LAMBDA_MEMORY_MB} MB`,
        `${fmt(perMillion.invocations)} invocations of ${fmt(BUDGET_MS / 1000)} s budget`,
      ],
      [
        `backlog ${mode}: exactly once`,
        check.ok && serverOk && figures.drained ? 'PASS' : 'FAIL',
        `${check.matched}/${corpus.messages} sha256 match, ${check.extraOrDuplicate} extra, ${check.unpublished} unpublished`,
        `${check.republished} republished; server keeps ${left}; state ${JSON.stringify(check.stateByStatus)}`,
      ],
      [
        `cost per 1M msgs (${mode} mode)`,
        `$${fmt(cost.total)}`,
        `SES inbound $${fmt(ses)}`,
        `S3 PUT $${fmt(cost.s3Put)} GET $${fmt(cost.s3Get)} EB $${fmt(cost.eventBridge)} Lambda $${fmt(cost.lambdaCompute + cost.lambdaRequests)} SM $${fmt(cost.secretsManager)}`,
      ],
      [
        `requests per 1,000 msgs (${mode})`,
        describeCounts(per1000(figures.s3, corpus.messages)),
        `PutEvents ${fmt((figures.putEventsCalls * 1000) / corpus.messages)} calls, ${fmt((figures.entries * 1000) / corpus.messages)} entries`,
        `SecretsManager ${fmt((figures.secretsManagerCalls * 1000) / corpus.messages)}, invocations ${fmt((figures.invocations * 1000) / corpus.messages)}`,
      ],
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** The Lambda environment: the configuration as JSON (what the CDK construct sets) and loopback S3. */
function lambdaEnvironment(dovecot: DovecotServer, s3Endpoint: string, pop3Port = dovecot.pop3sPort): NodeJS.ProcessEnv {
  const at = { host: dovecot.host, port: pop3Port, tls: { mode: 'implicit', ca: dovecot.ca } };
  const auth = (user: string) => ({ user, secret: { secretsManager: SECRET_ID } });
  const config = {
    storage: { bucket: BUCKET },
    events: { busName: BUS },
    mailboxes: [
      { id: 'keep', ...at, auth: auth('keep') },
      { id: 'drain', ...at, delete: 'after-store', auth: auth('drain') },
      { id: 'idle', ...at, auth: auth('idle') },
      { id: 'mem1', ...at, auth: auth('mem1') },
      { id: 'membig', ...at, auth: auth('membig'), limits: { maxMessageSize: 2 * BIG_BYTES } },
    ],
  };
  return {
    ...process.env,
    POP3_INGEST_CONFIG: JSON.stringify(config),
    AWS_ENDPOINT_URL_S3: s3Endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    POWERTOOLS_SERVICE_NAME: 'pop3-ingest-bench',
    POWERTOOLS_LOG_LEVEL: 'WARN',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
  };
}

/** One CLI mailbox entry (password from $BENCH_PW, the test CA inline). */
function cliMailbox(dovecot: DovecotServer, id: string, user: string) {
  return { id, host: dovecot.host, port: dovecot.pop3sPort, tls: { mode: 'implicit', ca: dovecot.ca }, auth: { user, secret: { env: 'BENCH_PW' } } };
}

/** Deletes every object under `prefix` (1,000 keys per DeleteObjects call). */
async function deletePrefix(s3: S3Client, bucket: string, prefix: string): Promise<void> {
  for (;;) {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 1000 }));
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [{ Key: o.Key }]));
    if (keys.length === 0) return;
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
  }
}

function describeCounts(counts: Record<string, number>): string {
  const parts = Object.entries(counts)
    .filter(([, n]) => n !== 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k.replace(/Command$/, '')} ${fmt(n)}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

function diffCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) out[k] = (a[k] ?? 0) - (b[k] ?? 0);
  return out;
}

function per1000(counts: Record<string, number>, messages: number): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([k, n]) => [k, (n * 1000) / messages]));
}

function nonNegative(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number >= 0, got ${value}`);
  return n;
}

function positive(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${value}`);
  return n;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:e2e failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
