/**
 * Listings over arrays of objects: for mail sources that have no columns (the in-memory one)
 * and for planning a hand-written listing. The POP3 source builds its own columns
 * (lambda/adapters/pop3/column-listing.ts).
 */
import type { ListedMessage, Listing } from './ports.js';

/** A listing, or the same as an array of objects (tests, demos). */
export type ListingInput = Listing | readonly ListedMessage[];

/** The same listing, wrapped once: matches are memoized per listing object. */
const wrapped = new WeakMap<readonly ListedMessage[], Listing>();

/** `input` as a Listing; an array gives the same wrapper every time. */
export function asListing(input: ListingInput): Listing {
  if (!isArray(input)) return input;
  let listing = wrapped.get(input);
  if (listing === undefined) {
    listing = arrayListing(input);
    wrapped.set(input, listing);
  }
  return listing;
}

function isArray(input: ListingInput): input is readonly ListedMessage[] {
  return Array.isArray(input);
}

/** A Listing over `messages`, in their order. */
export function arrayListing(messages: readonly ListedMessage[]): Listing {
  const entry = (i: number): ListedMessage => {
    const m = messages[i];
    if (m === undefined) throw new RangeError(`listing entry ${i} out of range`);
    return m;
  };
  return {
    get length() {
      return messages.length;
    },
    msg: (i) => entry(i).msg,
    size: (i) => entry(i).size,
    uid: (i) => entry(i).uid,
    writeUid(i, target, offset) {
      const uid = entry(i).uid;
      // UIDs are 0x21-0x7E (validated by the source): one octet a character.
      for (let k = 0; k < uid.length; k++) target[offset + k] = uid.charCodeAt(k);
      return uid.length;
    },
    at: (i) => ({ ...entry(i) }),
  };
}

/** Every entry as an object (tests, and paths that act on every listed message). */
export function listedMessages(listing: Listing): ListedMessage[] {
  const out: ListedMessage[] = [];
  for (let i = 0; i < listing.length; i++) out.push(listing.at(i));
  return out;
}
