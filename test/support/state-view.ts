/**
 * Tests read a stored seen-state as `{ epoch, uids: { uid: record } }`. Schema 3 keeps most UIDs
 * only as hashes (lambda/sync/quiet-run.ts), so the view resolves them from the UIDs a test
 * knows (every UID its mailbox ever held); a record whose UID is not among them is counted in
 * `unresolved`, never dropped silently.
 */
import { decodeSegment, manifestOf } from '../../lambda/sync/state-codec.js';
import { isLegacyDocument, parseDocumentJson, parseLegacyDocument, stateFromDocument, type SeenEntry, type SeenState } from '../../lambda/sync/state.js';

/** A stored state as tests read it. */
export interface StateView {
  epoch: number;
  identity?: string;
  meta: Record<string, string | number>;
  uids: Record<string, SeenEntry>;
  /** Entries whose UID the test did not name. */
  unresolved: number;
  schemaVersion: number;
}

/** Decodes a manifest (or a schema 2 document) and its segments into a view. */
export function viewState(
  mailboxId: string,
  manifest: Uint8Array,
  segment: (name: string) => Uint8Array | null | undefined,
  knownUids: Iterable<string>,
): StateView {
  const state = decodeState(mailboxId, manifest, segment);
  const uids: Record<string, SeenEntry> = {};
  for (const uid of new Set(knownUids)) {
    const entry = state.entries.get(uid);
    if (entry !== undefined) Object.defineProperty(uids, uid, { value: entry, enumerable: true, writable: true, configurable: true });
  }
  const view: StateView = {
    epoch: state.epoch,
    meta: state.meta,
    uids,
    unresolved: state.entries.size - Object.keys(uids).length,
    schemaVersion: (JSON.parse(new TextDecoder().decode(manifest)) as { schemaVersion: number }).schemaVersion,
  };
  if (state.identity !== undefined) view.identity = state.identity;
  return view;
}

/** Decodes a manifest and its segments (synchronously) into a state. */
export function decodeState(mailboxId: string, manifest: Uint8Array, segment: (name: string) => Uint8Array | null | undefined): SeenState {
  const doc = parseDocumentJson(manifest, mailboxId);
  const state = stateFromDocument(doc, mailboxId);
  if (isLegacyDocument(doc)) return parseLegacyDocument(doc, mailboxId, state);
  const parsed = manifestOf(doc, mailboxId);
  if (parsed.keyPrefix !== undefined) state.entries.keyPrefix = parsed.keyPrefix;
  for (const ref of parsed.segments) {
    const body = segment(ref.name);
    if (!body) throw new Error(`segment ${ref.name} missing`);
    state.entries.applySegment(decodeSegment(body, mailboxId, ref.name));
  }
  return state;
}
