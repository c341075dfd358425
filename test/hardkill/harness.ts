/**
 * The hard-kill harness: a seeded PRNG, the mailbox to seed, the ground truth read from Dovecot
 * by an independent raw client, a child poll SIGKILLed on a trigger, the "time passes" step
 * that lets the next poll proceed after a crash. What ended up where is judged in audit.ts.
 */
import { createHash } from 'node:crypto';
import { watch } from 'node:fs';
import { readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { BuiltCli } from '../cli/support/built-cli.js';
import { CORPUS, expectedFromDovecot, makeMessage } from '../support/corpus.js';
import type { DovecotServer } from '../support/dovecot.js';
import { RawPop3 } from '../integration/raw-pop3.js';

/** SHA-256 hex of some bytes. */
export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with HARDKILL_SEED. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [min, max], inclusive. */
export const randomInt = (rand: () => number, min: number, max: number): number => min + Math.floor(rand() * (max - min + 1));

/**
 * `count` messages: the tricky corpus (dot-stuffing, 8-bit, bare LF, NUL, no final CRLF), then
 * bulk messages of mixed sizes: mostly 1-16 KB, some up to 100 KB, a few up to 300 KB.
 */
export function mixedMailbox(rand: () => number, count: number, tag: string): Buffer[] {
  const messages = CORPUS.map((c) => c.raw);
  for (let i = messages.length; i < count; i += 1) {
    const r = rand();
    const size = r < 0.8 ? randomInt(rand, 1_024, 16_384) : r < 0.95 ? randomInt(rand, 16_384, 102_400) : randomInt(rand, 102_400, 307_200);
    // The tag makes every bulk message unique per mailbox (and so per content hash).
    messages.push(Buffer.concat([Buffer.from(`X-Hardkill: ${tag}-${i}\r\n`, 'latin1'), makeMessage(i, size)]));
  }
  return messages;
}

/** SHA-256 of what Dovecot's RETR serves for the stored bytes `raw` (corpus.ts). */
export const servedSha = (raw: Buffer): string => sha256(expectedFromDovecot(raw));

/**
 * What Dovecot serves, read with the raw test client (not the engine under test): UIDL, then
 * RETR of every message, QUIT. SHA-256 of each message to its UID.
 */
export async function readTruth(server: DovecotServer, user: string, password: string): Promise<Map<string, string>> {
  const pop = await RawPop3.plain(server.host, server.pop3TrustedPort);
  const truth = new Map<string, string>();
  try {
    expectOk(await pop.greeting, 'greeting');
    expectOk(await pop.command(`USER ${user}`), 'USER');
    expectOk(await pop.command(`PASS ${password}`), 'PASS');
    const uidl = await pop.command('UIDL', true);
    expectOk(uidl, 'UIDL');
    const listing = (uidl.body ?? Buffer.alloc(0)).toString('latin1').split('\r\n').filter(Boolean).map((line) => line.split(' '));
    const replies = await pop.pipeline(listing.map(([msg]) => ({ line: `RETR ${msg}`, multiline: true })));
    listing.forEach(([, uid], i) => {
      const bytes = replies[i]?.body;
      if (uid === undefined || bytes === undefined) throw new Error(`truth: no RETR body for UIDL line ${i}`);
      truth.set(sha256(bytes), uid);
    });
    expectOk(await pop.quit(), 'QUIT');
  } finally {
    pop.destroy();
  }
  return truth;
}

/**
 * Dovecot's UIDL for messages delivered later, from those read now: with the harness's
 * pop3_uidl_format '%08Xu%08Xv' and maildir UIDs assigned in delivery order, the j-th message
 * delivered has UID base + j under the same UIDVALIDITY. Throws if what was read does not fit,
 * and a wrong guess fails the audit (wrong keys): it can never hide a loss.
 */
export function uidPredictor(read: ReadonlyMap<string, string>, deliveredShas: readonly string[]): (index: number) => string {
  const first = read.get(deliveredShas[0] ?? '');
  if (first === undefined || !/^[0-9a-fA-F]{16}$/.test(first)) throw new Error(`truth: unexpected UIDL format ${String(first)}`);
  const base = Number.parseInt(first.slice(0, 8), 16);
  const validity = first.slice(8);
  // Dovecot's %X modifier prints lower-case hex; follow whatever case the UIDVALIDITY part shows.
  const hex = (n: number): string => (/[A-F]/.test(validity) ? n.toString(16).toUpperCase() : n.toString(16));
  const uidAt = (index: number): string => `${hex(base + index).padStart(8, '0')}${validity}`;
  deliveredShas.forEach((sha, index) => {
    if (read.get(sha) !== uidAt(index)) throw new Error(`truth: UID ${String(read.get(sha))} of delivered message ${index} is not ${uidAt(index)}`);
  });
  return uidAt;
}

function expectOk(reply: { ok: boolean; status: string }, what: string): void {
  if (!reply.ok) throw new Error(`truth: ${what} refused: ${reply.status}`);
}

/** When to SIGKILL the child: after a delay, or on the k-th stderr log line / events-file line. */
export type Trigger =
  | { kind: 'delay'; ms: number }
  | { kind: 'log'; label: string; pattern: RegExp; count: number }
  | { kind: 'events'; file: string; count: number };

/** A trigger's short name for the tally. */
export const triggerName = (t: Trigger): string => (t.kind === 'log' ? t.label : t.kind);

/** How one child run ended. */
export interface ChildOutcome {
  killed: boolean;
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts the built CLI and SIGKILLs it when the trigger fires. The child may finish first (a
 * short poll, or a busy mailbox): then `killed` is false and `code` is its exit code.
 */
export async function runAndKill(cli: BuiltCli, args: readonly string[], env: Record<string, string>, trigger: Trigger): Promise<ChildOutcome> {
  const baseEvents = trigger.kind === 'events' ? await lineCount(trigger.file) : 0;
  const child = cli.spawn(args, { env });
  let killed = false;
  let stdout = '';
  let stderr = '';
  const kill = (): void => {
    if (killed || child.exitCode !== null || child.signalCode !== null) return;
    killed = child.kill('SIGKILL');
  };
  const closed = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  let seen = 0;
  const lines = createInterface({ input: child.stderr! });
  lines.on('line', (line) => {
    stderr += `${line}\n`;
    if (trigger.kind === 'log' && trigger.pattern.test(line) && ++seen >= trigger.count) kill();
  });
  const cleanups: Array<() => void> = [];
  if (trigger.kind === 'delay') {
    // The delay IS the random crash point, not a wait for readiness.
    const timer = setTimeout(kill, trigger.ms);
    cleanups.push(() => clearTimeout(timer));
  } else if (trigger.kind === 'events') {
    // Kill as soon as the k-th new JSON line is durable: the directory watch is the event.
    const dir = dirname(trigger.file);
    const watcher = watch(dir, () => {
      void lineCount(trigger.file).then((n) => {
        if (n - baseEvents >= trigger.count) kill();
      });
    });
    cleanups.push(() => watcher.close());
  }
  // A hung child must fail the test, not hang the suite.
  const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    const code = await closed;
    lines.close();
    return { killed, code, stdout, stderr };
  } finally {
    clearTimeout(guard);
    for (const c of cleanups) c();
  }
}

async function lineCount(file: string): Promise<number> {
  try {
    const data = await readFile(file);
    let n = 0;
    for (const byte of data) if (byte === 0x0a) n += 1;
    return n;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

/** What a crash left behind that only time clears. */
export interface Leftovers {
  /** A lease file still claiming the mailbox (the killed poller's, TTL 15 min). */
  leases: number;
  /** Lock files (held for milliseconds) still present, stale only after 10 s. */
  locks: number;
}

/**
 * The killed poller is dead (we saw it exit), so let the time the adapters wait out pass at
 * once: the lease's expiry is moved into the past and lock files are aged past their stale
 * age. Nothing is deleted: the next poll takes over exactly as it would 15 minutes later.
 */
export async function letTimePass(outDir: string): Promise<Leftovers> {
  const leftovers: Leftovers = { leases: 0, locks: 0 };
  const past = new Date(Date.now() - 3_600_000);
  for (const file of await walk(outDir)) {
    if (file.endsWith('.lock')) {
      await utimes(file, past, past).catch(ignoreMissing);
      leftovers.locks += 1;
    } else if (file.includes('/.lease/') && file.endsWith('.json')) {
      leftovers.leases += 1;
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
      } catch {
        // Killed mid-create: a torn lease, which the store already treats as expired.
        continue;
      }
      await writeFile(file, `${JSON.stringify({ ...record, expiresAt: past.toISOString() })}\n`);
    }
  }
  return leftovers;
}

/** Swallows ENOENT: a file a concurrent process removed. */
export function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}

/** Every file under `dir` (absolute paths); a missing dir is empty. */
export async function walk(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(dir, { recursive: true })) as string[];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const s = await stat(path).catch(() => null);
    if (s?.isFile()) files.push(path);
  }
  return files.sort();
}
