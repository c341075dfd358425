/**
 * The hard-kill harness: a seeded PRNG, the mailbox to seed, the ground truth read from Dovecot
 * by an independent raw client, a child poll SIGKILLed on a trigger, the "time passes" step
 * that lets the next poll proceed after a crash, and the audit of what ended up where.
 */
import { createHash } from 'node:crypto';
import { watch } from 'node:fs';
import { readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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
  if (first === undefined || !/^[0-9A-F]{16}$/.test(first)) throw new Error(`truth: unexpected UIDL format ${String(first)}`);
  const base = Number.parseInt(first.slice(0, 8), 16);
  const validity = first.slice(8);
  const uidAt = (index: number): string => `${(base + index).toString(16).toUpperCase().padStart(8, '0')}${validity}`;
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
    const dir = join(trigger.file, '..');
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
      const record = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
      await writeFile(file, `${JSON.stringify({ ...record, expiresAt: past.toISOString() })}\n`);
      leftovers.leases += 1;
    }
  }
  return leftovers;
}

function ignoreMissing(error: unknown): void {
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

/** The stored objects of a folder store: key to bytes, plus sidecars and leftover temp files. */
export interface FolderView {
  objects: Map<string, Buffer>;
  sidecars: Set<string>;
  temps: string[];
}

/** Reads the message objects under `<outDir>/mail/`. */
export async function folderView(outDir: string): Promise<FolderView> {
  const view: FolderView = { objects: new Map(), sidecars: new Set(), temps: [] };
  for (const file of await walk(join(outDir, 'mail'))) {
    const key = file.slice(outDir.length + 1);
    const base = key.slice(key.lastIndexOf('/') + 1);
    if (base.startsWith('.')) view.temps.push(key);
    else if (key.endsWith('.eml.meta.json')) view.sidecars.add(key.slice(0, -'.meta.json'.length));
    else view.objects.set(key, await readFile(file));
  }
  return view;
}

/** "Message Stored" events by the SHA-256 they announce, and how many lines are not JSON. */
export interface EventsView {
  stored: Map<string, Array<{ key: string; uidHash: string; id: string }>>;
  lines: number;
  badLines: number;
}

/** Parses a JSON-lines events file. */
export async function readEvents(file: string): Promise<EventsView> {
  const view: EventsView = { stored: new Map(), lines: 0, badLines: 0 };
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    ignoreMissing(error);
  }
  for (const line of text.split('\n')) {
    if (line === '') continue;
    view.lines += 1;
    let event: { id?: string; 'detail-type'?: string; detail?: { uidHash?: string; key?: string; sha256?: string } };
    try {
      event = JSON.parse(line) as typeof event;
    } catch {
      view.badLines += 1;
      continue;
    }
    const d = event.detail;
    if (event['detail-type'] !== 'Message Stored' || d?.sha256 === undefined) continue;
    const list = view.stored.get(d.sha256) ?? [];
    list.push({ key: String(d.key), uidHash: String(d.uidHash), id: String(event.id) });
    view.stored.set(d.sha256, list);
  }
  return view;
}

/**
 * SHA-256 (of what RETR would serve) of every message file in the user's maildir. Dovecot may
 * rename files (new/ to cur/, flags) while we read: a vanished file restarts the scan.
 */
export async function maildirShas(server: DovecotServer, user: string): Promise<Set<string>> {
  const root = join(server.dir, 'mail', user);
  for (let attempt = 0; attempt < 20; attempt += 1) {
    try {
      const shas = new Set<string>();
      for (const name of await server.maildirFiles(user)) shas.add(sha256(expectedFromDovecot(await readFile(join(root, name)))));
      return shas;
    } catch (error) {
      ignoreMissing(error);
    }
  }
  throw new Error(`maildir of ${user} kept changing under the scan`);
}

/** The audit: every count must be 0 except the informational ones. */
export interface Audit {
  /** Delivered messages with no object yet: fine mid-campaign while on the server, lost at the end. */
  notStored: number;
  /** Objects beyond one per message (two keys holding the same message). */
  duplicateObjects: number;
  /** Objects holding bytes that no delivered message has (as Dovecot serves it). */
  corruptObjects: number;
  /** Objects under another key than the message's UID gives (only when the UIDs are known). */
  wrongKeys: number;
  /** Objects without their metadata sidecar. */
  missingSidecars: number;
  /** Stored messages with no "Message Stored" event naming their key, uidHash and hash. */
  unannounced: number;
  /** Messages gone from the server without object AND event. */
  deletedUnsafely: number;
  /** Events file lines that are not JSON (a torn append). */
  badEventLines: number;
  /** Informational: "Message Stored" events beyond the first per message (at-least-once). */
  repeatedEvents: number;
  /** Informational: delivered messages still on the server. */
  onServer: number;
}

/** What the audit compares against: delivered messages by SHA-256, and their keys when known. */
export interface Expected {
  /** SHA-256 of what RETR serves, for every delivered message. */
  shas: ReadonlySet<string>;
  /** SHA-256 to object key, read from Dovecot's UIDL (readTruth). */
  keys?: ReadonlyMap<string, string>;
}

/**
 * Compares objects, events and the maildir with what was delivered. Keyed by content: every
 * delivered message is unique, so "one object per message" is "one key per content hash".
 */
export function audit(
  expected: Expected,
  objects: ReadonlyMap<string, Buffer>,
  sidecars: ReadonlySet<string>,
  events: EventsView,
  onServer: ReadonlySet<string>,
): Audit {
  const a: Audit = {
    notStored: 0, duplicateObjects: 0, corruptObjects: 0, wrongKeys: 0, missingSidecars: 0, unannounced: 0,
    deletedUnsafely: 0, badEventLines: events.badLines, repeatedEvents: 0, onServer: 0,
  };
  const keysBySha = new Map<string, string[]>();
  for (const [key, bytes] of objects) {
    const sha = sha256(bytes);
    if (!expected.shas.has(sha)) a.corruptObjects += 1;
    if (!sidecars.has(key)) a.missingSidecars += 1;
    keysBySha.set(sha, [...(keysBySha.get(sha) ?? []), key]);
  }
  for (const sha of expected.shas) {
    const keys = keysBySha.get(sha) ?? [];
    const present = onServer.has(sha);
    if (present) a.onServer += 1;
    a.duplicateObjects += Math.max(0, keys.length - 1);
    const key = keys[0];
    if (key === undefined) {
      a.notStored += 1;
      if (!present) a.deletedUnsafely += 1;
      continue;
    }
    const truthKey = expected.keys?.get(sha);
    if (truthKey !== undefined && truthKey !== key) a.wrongKeys += 1;
    const announced = (events.stored.get(sha) ?? []).filter((e) => e.key === key && key.endsWith(`/${e.uidHash}.eml`));
    if (announced.length === 0) {
      a.unannounced += 1;
      if (!present) a.deletedUnsafely += 1;
    }
    a.repeatedEvents += Math.max(0, announced.length - 1);
  }
  return a;
}

/**
 * Completes the state write a kill after a committing QUIT lost: entries still 'published' whose
 * message is gone from the server become 'deleted', exactly what poll.ts records after QUIT.
 * Only for the known breaker bug (breaker-false-trip-after-kill.test.ts); returns the count.
 */
export async function completeLostDeleteRecord(stateFile: string, keysOnServer: ReadonlySet<string>): Promise<number> {
  const doc = JSON.parse(await readFile(stateFile, 'utf8')) as { uids: Record<string, { key: string; kind: string; status: string }> };
  let changed = 0;
  for (const entry of Object.values(doc.uids)) {
    if (entry.status === 'published' && entry.kind === 'full' && !keysOnServer.has(entry.key)) {
      entry.status = 'deleted';
      changed += 1;
    }
  }
  await writeFile(stateFile, JSON.stringify(doc));
  return changed;
}
