/**
 * The port's Listing over the engine's columns: UIDL's valid entries (UID octets in one
 * buffer) joined with LIST's sizes by message number. Only the entries both commands list are
 * kept, in message-number order; an order index is built only when UIDL was not already in
 * that order or left entries out, so the common listing costs nothing beyond the engine's columns.
 */
import { escapeServerText, MAX_UID_LENGTH, type ListSizes, type UidlListing } from '../../pop3/index.js';
import type { KnownUids, ListedMessage, Listing, RejectedListing } from '../../sync/ports.js';

/**
 * The port's listing of a complete UIDL and LIST: the entries both name, and the rejected ones
 * (UIDL's, then those LIST does not name, then what `known` took and rejects), escaped for logs.
 */
export function listingOf(uidl: UidlListing, sizes: ListSizes, known?: KnownUids): { listing: Listing; rejected: RejectedListing[] } {
  const rejected: RejectedListing[] = uidl.rejected.map((r) => ({ msg: r.msg, uidEscaped: r.uidEscaped, reason: r.reason }));
  const listing = joinListing(uidl, sizes, rejected);
  for (const r of known?.rejected() ?? []) rejected.push({ msg: r.msg, uidEscaped: escapeServerText(r.uid, 100), reason: r.reason });
  return { listing, rejected };
}

/** The engine's UIDL taker over `known`: each UID's octets (0x21-0x7E, validated) in one reused buffer. */
export function offerTo(known: KnownUids): (uid: string, msg: number, size: number | undefined) => boolean {
  const octets = new Uint8Array(MAX_UID_LENGTH);
  return (uid, msg, size) => {
    for (let k = 0; k < uid.length; k++) octets[k] = uid.charCodeAt(k);
    return known.take(octets, uid.length, msg, size);
  };
}

/** Joins `uidl` and `sizes`; a message UIDL names but LIST does not is pushed onto `rejected`. */
export function joinListing(uidl: UidlListing, sizes: ListSizes, rejected: RejectedListing[]): Listing {
  const n = uidl.count;
  let kept = 0;
  let sorted = true;
  const keep = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const msg = uidl.msg(i);
    // An inconsistent listing: leave the message out (never fetched, never deleted), report it.
    if (sizes.get(msg) === undefined) {
      rejected.push({ msg, uidEscaped: escapeServerText(uidl.uid(i), 100), reason: 'invalid-uid' });
      continue;
    }
    keep[i] = 1;
    if (i > 0 && uidl.msg(i - 1) > msg) sorted = false;
    kept++;
  }
  if (kept === n && sorted) return new ColumnListing(uidl, sizes, undefined);
  const order = new Uint32Array(kept);
  let k = 0;
  for (let i = 0; i < n; i++) if (keep[i] === 1) order[k++] = i;
  order.sort((a, b) => uidl.msg(a) - uidl.msg(b));
  return new ColumnListing(uidl, sizes, order);
}

class ColumnListing implements Listing {
  constructor(private readonly uidl: UidlListing, private readonly sizes: ListSizes, private readonly order: Uint32Array | undefined) {}

  get length(): number {
    return this.order === undefined ? this.uidl.count : this.order.length;
  }

  msg(i: number): number {
    return this.uidl.msg(this.entry(i));
  }

  size(i: number): number {
    return this.sizes.get(this.msg(i)) as number;
  }

  uid(i: number): string {
    return this.uidl.uid(this.entry(i));
  }

  writeUid(i: number, target: Uint8Array, offset: number): number {
    return this.uidl.writeUid(this.entry(i), target, offset);
  }

  at(i: number): ListedMessage {
    return { msg: this.msg(i), uid: this.uid(i), size: this.size(i) };
  }

  private entry(i: number): number {
    if (this.order === undefined) return i;
    const at = this.order[i];
    if (at === undefined) throw new RangeError(`listing entry ${i} out of range`);
    return at;
  }
}
