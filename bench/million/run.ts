/**
 * Issue 15: a kept mailbox of N small messages (default 1,000,000), seeded straight into a
 * private Dovecot's maildir. First import in simulated invocations (a fresh process each, at
 * most N/5 messages per invocation, state in the local file store), then idle polls, side by
 * side with `mpop --only-new --keep` (its UIDL file filled by a first run) on the same mailbox.
 * Reports peak RSS (over the same process polling an empty mailbox), state octets read and
 * written per poll, and idle poll time. Not a test: figures only (docs/scaling.md).
 *
 *   npm run bench:million [-- --messages 200000 --idle 3 --skip-mpop]
 *   npm run bench:million -- --synthesize-state   idle polls only: the state of every listed UID
 *       is written in one save, as the recorder writes it, instead of imported (much faster)
 *
 * Takes long: at 1,000,000 the seeding, Dovecot's first index and the import take tens of
 * minutes on a small machine, so `npm run bench` runs it only with `--only million`.
 * Needs ~5 GB of disk at 1,000,000 (one file per message).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startDovecot } from '../../test/support/dovecot.js';
import { prepareMpop } from '../mpop.js';
import { randomBytes } from 'node:crypto';
import { FileStateStore } from '../../lambda/adapters/local/state-file.js';
import { createPop3MailSource } from '../../lambda/adapters/pop3/mail-source.js';
import { StateKeeper } from '../../lambda/sync/checkpoint.js';
import { messageKey } from '../../lambda/sync/keys.js';
import { listedMessages } from '../../lambda/sync/listing.js';

const CHILD = fileURLToPath(new URL('./poll-child.mjs', import.meta.url));
const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '1000000' },
    idle: { type: 'string', default: '3' },
    invocations: { type: 'string', default: '5' },
    'skip-mpop': { type: 'boolean', default: false },
    /** Skip the import: record every listed UID as the recorder would, in one save (idle figures only). */
    'synthesize-state': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const N = Number(args.messages);
const IDLE = Number(args.idle);
const PER_INVOCATION = Math.ceil(N / Number(args.invocations));
const log = (...parts: unknown[]): void => console.log(`[million ${new Date().toISOString().slice(11, 19)}]`, ...parts);

interface ChildResult {
  status: string;
  error?: unknown;
  stored: number;
  newMessages: number;
  serverMessages: number;
  elapsedMs: number;
  peakRssKiB: number;
  rssAfterImportKiB: number;
  traffic: { read: number; written: number; reads: number; writes: number };
  /** VmHWM (KiB) when the poll reached each step: start, stateLoaded, loggedIn, listed, planned. */
  peakKiBAt?: Record<string, number>;
}

function phaseLine(r: ChildResult): string {
  return Object.entries(r.peakKiBAt ?? {}).map(([step, kib]) => `${step} ${(kib / 1024).toFixed(0)}`).join(', ');
}

const PASSWORD = 'bench password';
// Dovecot's default 256 MB address-space limit per process ends a POP3 session of 1,000,000
// messages with an empty reply (seen with mpop's first run): lift it for this mailbox size.
const dovecot = await startDovecot({ users: [{ user: 'kept', password: PASSWORD }, { user: 'empty', password: PASSWORD }], extraConfig: 'default_vsz_limit = 0\n' });
const work = await mkdtemp(join(tmpdir(), 'bench-million-'));
try {
  const caFile = join(work, 'ca.pem');
  await writeFile(caFile, dovecot.ca);
  log(`seeding ${N} messages into the maildir`);
  const seedMs = await seed(join(dovecot.dir, 'mail', 'kept'), N);
  log(`seeded in ${(seedMs / 1000).toFixed(1)} s`);

  let mpopFirst: number | undefined;
  const mpop = args['skip-mpop'] ? undefined : await prepareMpop({ host: dovecot.host, port: dovecot.pop3sPort, user: 'kept', password: PASSWORD, caFile }, { onlyNew: true });
  if (mpop) {
    log('mpop: first run (downloads everything to /dev/null, fills its UIDL file; also warms Dovecot\'s index)');
    mpopFirst = (await mpop.run()).elapsedMs;
    log(`mpop first run ${(mpopFirst / 1000).toFixed(1)} s`);
  }

  const job = (user: string, stateDir: string, maxMessages?: number) => ({
    host: dovecot.host, port: dovecot.pop3sPort, caFile, user, password: PASSWORD, stateDir, mailboxId: user, ...(maxMessages ? { maxMessages } : {}),
  });
  const stateDir = join(work, 'state');
  const emptyDir = join(work, 'state-empty');
  const baseline = await child(job('empty', emptyDir));
  log('baseline (empty mailbox idle poll)', JSON.stringify(baseline));
  log(`baseline peak RSS so far (MiB) ${phaseLine(baseline)}`);

  const imports: ChildResult[] = [];
  let importedTotal = 0;
  if (args['synthesize-state']) {
    const started = performance.now();
    importedTotal = await synthesizeState(job('kept', stateDir));
    log(`state of ${importedTotal} UIDs synthesized in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  while (importedTotal < N) {
    const r = await child(job('kept', stateDir, PER_INVOCATION));
    imports.push(r);
    importedTotal += r.stored;
    log(`import invocation ${imports.length}: stored ${r.stored} (total ${importedTotal}) in ${(r.elapsedMs / 1000).toFixed(1)} s, peak RSS ${(r.peakRssKiB / 1024).toFixed(0)} MiB, state read ${r.traffic.read} B, written ${r.traffic.written} B`);
    if (r.status !== 'ok' || r.stored === 0) throw new Error(`import stopped: ${JSON.stringify(r)}`);
  }
  const finalStateBytes = await dirBytes(join(stateDir, 'state'));

  const idle: ChildResult[] = [];
  const mpopIdle: number[] = [];
  const mpopRss: number[] = [];
  for (let i = 0; i < IDLE; i++) {
    const r = await child(job('kept', stateDir));
    if (r.newMessages !== 0 || r.traffic.written !== 0) throw new Error(`idle poll was not idle: ${JSON.stringify(r)}`);
    idle.push(r);
    log(`idle poll ${i + 1}: ${(r.elapsedMs / 1000).toFixed(2)} s, peak RSS ${(r.peakRssKiB / 1024).toFixed(0)} MiB, state read ${r.traffic.read} B in ${r.traffic.reads} reads, written ${r.traffic.written} B; peak RSS so far (MiB) ${phaseLine(r)}`);
    if (mpop) {
      const m = await mpop.run();
      mpopIdle.push(m.elapsedMs);
      mpopRss.push(m.peakRssKb);
      log(`mpop --only-new idle ${i + 1}: ${(m.elapsedMs / 1000).toFixed(2)} s, peak RSS ${(m.peakRssKb / 1024).toFixed(0)} MiB`);
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  const idleMs = median(idle.map((r) => r.elapsedMs));
  const idlePeak = median(idle.map((r) => r.peakRssKiB));
  const written = imports.reduce((s, r) => s + r.traffic.written, 0);
  const result = {
    messages: N,
    invocations: imports.length,
    seedMs,
    finalStateBytes,
    finalStateBytesPerUid: finalStateBytes / N,
    importStateBytesWritten: written,
    importWrittenOverFinal: imports.length === 0 ? undefined : written / finalStateBytes,
    importPeakRssMiB: imports.length === 0 ? undefined : Math.max(...imports.map((r) => r.peakRssKiB)) / 1024,
    synthesizedState: args['synthesize-state'],
    baselinePeakRssMiB: baseline.peakRssKiB / 1024,
    idle: {
      medianMs: idleMs,
      peakRssMiB: idlePeak / 1024,
      rssBytesPerUidOverBaseline: ((idlePeak - baseline.peakRssKiB) * 1024) / N,
      stateBytesRead: idle[0]?.traffic.read,
      stateBytesReadPerUid: (idle[0]?.traffic.read ?? 0) / N,
      stateReads: idle[0]?.traffic.reads,
      stateBytesWritten: idle[0]?.traffic.written,
      peakMiBAt: idle.map((r) => Object.fromEntries(Object.entries(r.peakKiBAt ?? {}).map(([step, kib]) => [step, Math.round(kib / 102.4) / 10]))),
    },
    mpop: mpop ? { firstRunMs: mpopFirst, idleMedianMs: median(mpopIdle), idlePeakRssMiB: median(mpopRss) / 1024, oursOverMpop: idleMs / median(mpopIdle) } : undefined,
  };
  console.log(JSON.stringify(result, null, 2));
  if (args.out) await writeFile(args.out, `${JSON.stringify(result, null, 2)}\n`);
  await mpop?.dispose();
} finally {
  await dovecot.stop();
  await rm(work, { recursive: true, force: true });
}

/**
 * Writes n small messages straight into cur/ (no tmp/ + rename: nothing reads the maildir yet),
 * named with S= and W= sizes so Dovecot lists sizes without opening each file. Synchronous
 * writes in one loop: no parallel burst of file handles.
 */
async function seed(maildir: string, n: number): Promise<number> {
  const started = performance.now();
  const owner = await stat(maildir);
  const cur = join(maildir, 'cur');
  await mkdir(cur, { recursive: true });
  const base = Math.floor(Date.now() / 1000) - n;
  for (let i = 1; i <= n; i++) {
    const body = Buffer.from(
      `Message-ID: <m${i}@bench.test>\r\nFrom: Sender <s${i % 97}@bench.test>\r\nTo: archive@bench.test\r\n` +
      `Subject: kept message ${i}\r\nDate: Thu, 1 Jan 2026 00:00:00 +0000\r\n\r\nBody of kept message ${i}.\r\n`,
    );
    const path = join(cur, `${base + i}.M${i}P1.bench,S=${body.length},W=${body.length}:2,S`);
    writeFileSync(path, body, { mode: 0o600 });
  }
  // Dovecot reads the files as its mail user: one chown -R instead of a call per file.
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', `${owner.uid}:${owner.gid}`, cur]);
  return performance.now() - started;
}

/** Lists the mailbox once and records every UID as a stored, acknowledged message; returns the count. */
async function synthesizeState(j: { host: string; port: number; caFile: string; user: string; password: string; stateDir: string; mailboxId: string }): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const source = createPop3MailSource({ host: j.host, port: j.port, tls: 'implicit', ca: await readFile(j.caFile, 'utf8'), credentials: { user: j.user, password: j.password } });
  const session = await source.open();
  const messages = listedMessages((await session.listMessages()).listing);
  await session.quit();
  const keeper = await StateKeeper.load(new FileStateStore({ dir: j.stateDir }), { now: () => new Date() }, j.mailboxId);
  const firstSeen = new Date().toISOString();
  for (const m of messages) {
    keeper.state.entries.set(m.uid, {
      firstSeen, key: messageKey('', j.mailboxId, m.uid, 'full'), kind: 'full', status: 'published', size: m.size, listSize: m.size,
      headerHash: randomBytes(16).toString('hex'),
    });
  }
  keeper.markDirty(messages.length);
  await keeper.save();
  return messages.length;
}

async function dirBytes(dir: string): Promise<number> {
  const { readdir } = await import('node:fs/promises');
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? await dirBytes(path) : (await stat(path)).size;
  }
  return total;
}

function child(jobArgs: object): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CHILD, JSON.stringify(jobArgs)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.once('error', reject);
    proc.once('exit', (code) => {
      if (code !== 0) reject(new Error(`poll child exited ${code}`));
      else resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as ChildResult);
    });
  });
}
