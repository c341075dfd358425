/**
 * The local folder stores and the JSON-lines publisher (CLI, tests): messages in `dir`, the
 * seen-state under `<dir>/.state`, the lease under `<dir>/.lease`, events in a file or a stream.
 */
import { join } from 'node:path';
import { FileLeaseStore } from '../adapters/local/lease-file.js';
import { FolderMessageReader } from '../adapters/local/folder-reader.js';
import { FolderMessageStore } from '../adapters/local/folder-store.js';
import { FolderParsedStore } from '../adapters/local/parsed-folder.js';
import { JsonLinesPublisher } from '../adapters/local/jsonl-publisher.js';
import { FileStateStore } from '../adapters/local/state-file.js';
import type { Clock, EventPublisher, LeaseStore, MessageStore, ParsedObjectStore, StateStore, StoredMessageReader } from '../sync/ports.js';

/** Stores in the folder `dir`. */
export function folderStores(dir: string, clock?: Clock): { store: MessageStore; state: StateStore; lease: LeaseStore } {
  return {
    store: new FolderMessageStore({ dir }),
    state: new FileStateStore({ dir: join(dir, '.state') }),
    lease: new FileLeaseStore({ dir: join(dir, '.lease'), ...(clock ? { clock } : {}) }),
  };
}

/** Parsed objects (message.json, attachments) beside the raw messages in `dir`. */
export function folderParsedStore(dir: string): ParsedObjectStore {
  return new FolderParsedStore({ dir });
}

/** What a replay reads: the seen-state and the stored messages, no lease, no writes. */
export function folderReadStores(dir: string): { state: StateStore; reader: StoredMessageReader } {
  return { reader: new FolderMessageReader({ dir }), state: new FileStateStore({ dir: join(dir, '.state') }) };
}

/** JSON lines to `stream`, or appended to `file` (default `<dir>/events.jsonl`, created 0600). */
export function jsonLinesPublisher(target: { dir: string; eventsFile?: string; eventsStream?: NodeJS.WritableStream }, source: string): EventPublisher {
  if (target.eventsStream) return new JsonLinesPublisher({ stream: target.eventsStream, source });
  return new JsonLinesPublisher({ file: target.eventsFile ?? join(target.dir, 'events.jsonl'), source });
}
