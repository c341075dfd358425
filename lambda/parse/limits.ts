/**
 * Every limit of message parsing, with its default, in one place so the extractor, the
 * message.json writer and the event builder cannot drift apart.
 */

/** Bounds of one extraction; sizes in octets unless the name says characters. */
export interface ParseLimits {
  /** Characters of text and of HTML body kept in message.json (each); the rest is counted, not kept. */
  maxBodyChars: number;
  /** Decoded octets of an attachment held in memory before the spool moves to a temp file. */
  spoolMemoryBytes: number;
  /** Largest header block of one MIME node (the splitter's own cost measure). */
  maxHeadSize: number;
  /** Most MIME nodes in one message, containers included. */
  maxParts: number;
  /** Deepest multipart nesting accepted. */
  maxDepth: number;
  /** Characters kept of any one header value, filename or address in message.json. */
  maxValueChars: number;
  /** Entries kept of References (the oldest are dropped first: the newest identify the thread). */
  maxReferences: number;
  /** Addresses kept per address header. */
  maxAddresses: number;
}

/** The defaults: generous for real mail, bounded against hostile mail. */
export const DEFAULT_PARSE_LIMITS: Readonly<ParseLimits> = {
  maxBodyChars: 1_000_000,
  spoolMemoryBytes: 1024 * 1024,
  maxHeadSize: 1024 * 1024,
  maxParts: 1000,
  maxDepth: 32,
  maxValueChars: 2048,
  maxReferences: 100,
  maxAddresses: 500,
};

/** Bounds of the parsed summary inside a "Message Stored" event. */
export const EVENT_PARSE_LIMITS = {
  /**
   * EventBridge PutEvents: an entry (Source, DetailType, Detail, Resources) is at most 256 KB.
   * The rest of a Message Stored detail is at most ~40 KB (six 2048-char header values, keys).
   */
  maxEntryBytes: 256 * 1024,
  /** Default octets of JSON the `parsed` field may take. */
  defaultParsedBytes: 192 * 1024,
  /** Characters of a string field in the event (filenames, subject, addresses). */
  maxStringChars: 512,
  /** Characters of the explanation in a "Message Parse Failed" event. */
  maxExplanationChars: 1024,
} as const;

/** Resolves partial limits against the defaults; rejects values that cannot work. */
export function resolveParseLimits(partial: Partial<ParseLimits> = {}): ParseLimits {
  const limits = { ...DEFAULT_PARSE_LIMITS, ...stripUndefined(partial) };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`parse limit ${name} must be a non-negative integer`);
  }
  return limits;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
