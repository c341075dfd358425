/**
 * Runs the reference client, mpop, against the same server as ours, set up to be as fast as it
 * can be: pipelining on, keep mode (nothing deleted, so every repetition sees the same mailbox),
 * no Received header, delivery to `mbox /dev/null` (a discard with no process per message; an
 * `mda` pipe costs mpop a shell per message). With `maildir`, delivery is to a maildir instead:
 * one file, one fsync and one link per message, the durability class of our local folder; a
 * fresh one per run under the caller's folder, which the caller removes when the benchmark ends
 * (why not between runs: docs/benchmarks.md, "Fresh folders"). Its UIDL file is removed before each run so it fetches everything again.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchProcess } from './proc-watch.js';

/** One mailbox as mpop sees it. */
export interface MpopAccount {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Implicit TLS (RFC 8314) trusting only this CA file; omit for plaintext. */
  caFile?: string;
}

/** One mpop run: wall time from spawn to exit (process start included, a few ms). */
export interface MpopResult {
  elapsedMs: number;
  /** The maildir this run delivered into (with `maildir`). */
  maildir?: string;
  /** Peak RSS (VmHWM) polled every 5 ms, in KiB. */
  peakRssKb: number;
  /** User + system CPU of the whole process (start-up included), polled, ms. */
  cpuMs: number;
}

/** A configured mpop: a private config file and UIDL file in a temporary folder. */
export interface Mpop {
  run(): Promise<MpopResult>;
  dispose(): Promise<void>;
}

/** How the runner behaves between runs. */
export interface MpopOptions {
  /**
   * Idle-poll reference: `--only-new --keep` and a UIDL file that persists across runs (the
   * first run fills it). Default: the UIDL file is removed before each run (full downloads).
   */
  onlyNew?: boolean;
  /**
   * Deliver into a new maildir under this folder for each run (created outside the timing)
   * instead of discarding into `mbox /dev/null`.
   */
  maildir?: string;
}

/** Writes the config (mode 0600: it holds the test password) and returns a runner. */
export async function prepareMpop(account: MpopAccount, options: MpopOptions = {}): Promise<Mpop> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-mpop-'));
  const configFile = join(dir, 'mpoprc');
  const uidlsFile = join(dir, 'uidls');
  const tls = account.caFile === undefined
    ? ['tls off', 'auth user']
    // SCRAM-SHA-256, the method our client picks from Dovecot's list (mpop's own choice would be
    // PLAIN, two round trips fewer): both sides do the same login.
    : ['tls on', 'tls_starttls off', `tls_trust_file ${account.caFile}`, 'auth scram-sha-256'];
  const lines = (delivery: string): string[] => [
    'defaults',
    'account bench',
    `host ${account.host}`,
    `port ${account.port}`,
    `user ${account.user}`,
    `password ${account.password}`,
    ...tls,
    'pipelining on',
    'keep on',
    ...(options.onlyNew ? ['only_new on'] : []),
    'received_header off',
    'timeout 300',
    `uidls_file ${uidlsFile}`,
    delivery,
    '',
  ];
  const writeConfig = (delivery: string) => writeFile(configFile, lines(delivery).join('\n'), { mode: 0o600 });
  await writeConfig(options.maildir === undefined ? 'delivery mbox /dev/null' : `delivery maildir ${options.maildir}`);
  let runs = 0;

  return {
    async run() {
      if (options.onlyNew) return spawnMpop(configFile, ['--only-new', '--keep']);
      await rm(uidlsFile, { force: true });
      if (options.maildir === undefined) return spawnMpop(configFile);
      runs += 1;
      const maildir = join(options.maildir, `run-${runs}`);
      await newMaildir(maildir);
      await writeConfig(`delivery maildir ${maildir}`);
      return { ...(await spawnMpop(configFile)), maildir };
    },
    async dispose() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `mpop --version`'s first line, or undefined when mpop is not installed. */
export async function mpopVersion(): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn('mpop', ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    child.on('error', () => resolve(undefined));
    child.on('close', () => resolve(out.split('\n')[0]?.trim() || undefined));
  });
}

/**
 * Median wall time of `mpop --version` over `runs` spawns: roughly what process start-up adds
 * to mpop's figures (ours are timed inside the process, from connect to the QUIT reply).
 */
export async function mpopStartMs(runs = 5): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const started = performance.now();
    await new Promise<void>((resolve) => {
      const child = spawn('mpop', ['--version'], { stdio: 'ignore' });
      child.on('error', () => resolve());
      child.on('exit', () => resolve());
    });
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

/** A new, empty maildir (new, cur, tmp) at `dir`. */
async function newMaildir(dir: string): Promise<void> {
  await Promise.all(['new', 'cur', 'tmp'].map((sub) => mkdir(join(dir, sub), { recursive: true })));
}

function spawnMpop(configFile: string, extraArgs: readonly string[] = []): Promise<MpopResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('mpop', ['-C', configFile, '--quiet', ...extraArgs, 'bench'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const watch = child.pid === undefined ? undefined : watchProcess(child.pid);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', (error) => {
      watch?.stop();
      reject(new Error(`cannot run mpop (is it installed?): ${error.message}`));
    });
    child.on('exit', (code) => {
      const elapsedMs = performance.now() - started;
      const { peakRssKb, cpuMs } = watch?.stop() ?? { peakRssKb: 0, cpuMs: 0 };
      if (code === 0) resolve({ elapsedMs, peakRssKb, cpuMs });
      else reject(new Error(`mpop exited with ${String(code)}: ${stderr.trim().slice(0, 300)}`));
    });
  });
}
