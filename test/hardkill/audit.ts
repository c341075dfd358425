/**
 * The hard-kill audit: what the store, the events file and the maildir hold, compared with what
 * was delivered. Pure apart from reading; audit.test.ts proves it can see each violation.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expectedFromDovecot } from '../support/corpus.js';
import type { DovecotServer } from '../support/dovecot.js';
import { ignoreMissing, sha256, walk } from './harness.js';

/** The stored objects of a folder store: key to bytes, plus leftover temp files. */
export interface FolderView {
  objects: Map<string, Buffer>;
  temps: string[];
}

/** Reads the message objects under `<outDir>/mail/`. */
export async function folderView(outDir: string): Promise<FolderView> {
  const view: FolderView = { objects: new Map(), temps: [] };
  for (const file of await walk(join(outDir, 'mail'))) {
    const key = file.slice(outDir.length + 1);
    const base = key.slice(key.lastIndexOf('/') + 1);
    if (base.startsWith('.')) view.temps.push(key);
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
  events: EventsView,
  onServer: ReadonlySet<string>,
): Audit {
  const a: Audit = {
    notStored: 0, duplicateObjects: 0, corruptObjects: 0, wrongKeys: 0, unannounced: 0,
    deletedUnsafely: 0, badEventLines: events.badLines, repeatedEvents: 0, onServer: 0,
  };
  const keysBySha = new Map<string, string[]>();
  for (const [key, bytes] of objects) {
    const sha = sha256(bytes);
    if (!expected.shas.has(sha)) a.corruptObjects += 1;
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
