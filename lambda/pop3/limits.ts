/**
 * Every limit the POP3 engine enforces, with its default and the bounds a caller may set it
 * within, in one place so the framer, the parsers, the pipeline and the session cannot drift
 * apart (imapflow `lib/handler/limits.js`).
 *
 * What is NOT limited, on purpose: the length of a line inside a message body. A raw message
 * has no line-length limit that real mail respects (RFC 5322's 998 is routinely broken by
 * generated HTML and base64 without line breaks), and the body framer never holds a line: it
 * hands out slices of the socket's chunks and keeps at most three octets of state across them.
 */

/** Limits and timeouts of one POP3 session; all sizes in octets, all times in milliseconds. */
export interface Pop3Limits {
  /** Longest status, CAPA, LIST or UIDL line, CRLF excluded. RFC 2449 allows 512; servers exceed it. */
  maxLineLength: number;
  /** Most lines accepted in a CAPA reply. */
  maxCapaLines: number;
  /** Most entries accepted in a LIST or UIDL reply (and highest message number accepted in LIST). */
  maxListingEntries: number;
  /** Most octets accepted in one LIST or UIDL reply, line ends included. */
  maxListingBytes: number;
  /**
   * Largest message body accepted (actual octets after unstuffing; LIST sizes are only hints).
   * A larger body fails with POP3_MESSAGE_TOO_LARGE after the rest of it has been read off the
   * wire and dropped: the session goes on. Never above MAX_MESSAGE_SIZE_HARD_CAP.
   */
  maxMessageSize: number;
  /** Commands kept in flight when the server advertised PIPELINING (RFC 2449 section 6.6). */
  pipelineWindow: number;
  /** Refill the window once fewer than this many commands are in flight. */
  pipelineLowWater: number;
  /** One deadline shared by connect, greeting, TLS handshake, STLS, CAPA and authentication. */
  handshakeTimeoutMs: number;
  /** A command with a reply pending fails when the server sends nothing for this long. */
  commandTimeoutMs: number;
  /** Per-body stream buffer before the socket is paused (backpressure). */
  bodyHighWaterMark: number;
}

/**
 * The engine's hard cap on one message: 1 GiB. Bodies stream, so this is not a memory bound;
 * it keeps octet counts far inside exact integers and a single object inside what S3's
 * single-stream multipart upload and a local file comfortably take. Config's
 * `limits.maxMessageSize` is validated against it (lambda/config/schema.ts).
 */
export const MAX_MESSAGE_SIZE_HARD_CAP = 1024 * 1024 * 1024;

/** The defaults: generous for real servers, bounded against hostile ones. */
export const DEFAULT_POP3_LIMITS: Readonly<Pop3Limits> = Object.freeze({
  maxLineLength: 8 * 1024,
  maxCapaLines: 256,
  maxListingEntries: 1_000_000,
  maxListingBytes: 128 * 1024 * 1024,
  maxMessageSize: MAX_MESSAGE_SIZE_HARD_CAP,
  pipelineWindow: 100,
  pipelineLowWater: 20,
  handshakeTimeoutMs: 30_000,
  commandTimeoutMs: 60_000,
  bodyHighWaterMark: 256 * 1024,
});

/**
 * The range each limit may be set within (inclusive). Lower bounds keep real servers working
 * (RFC 2449's 512-octet lines); upper bounds keep memory bounded
 * whatever the configuration: a listing is at most maxListingBytes, a line at most 1 MiB.
 */
export const POP3_LIMIT_BOUNDS: Readonly<Record<keyof Pop3Limits, readonly [min: number, max: number]>> = Object.freeze({
  maxLineLength: [512, 1024 * 1024],
  maxCapaLines: [16, 10_000],
  maxListingEntries: [1, 10_000_000],
  maxListingBytes: [1024, 1024 * 1024 * 1024],
  maxMessageSize: [1, MAX_MESSAGE_SIZE_HARD_CAP],
  pipelineWindow: [64, 1000],
  pipelineLowWater: [1, 999],
  handshakeTimeoutMs: [1, 600_000],
  commandTimeoutMs: [1, 3_600_000],
  bodyHighWaterMark: [1024, 64 * 1024 * 1024],
});

/** Smallest pipeline window accepted when pipelining (below it a slow link stalls). */
export const MIN_PIPELINE_WINDOW = POP3_LIMIT_BOUNDS.pipelineWindow[0];

/** RFC 5034 section 4: an AUTH command line, initial response included, stays within 255 octets. */
export const MAX_AUTH_LINE_OCTETS = 255;

/** Merges overrides over the defaults and checks each lies within its bounds. */
export function resolveLimits(overrides: Partial<Pop3Limits> = {}): Pop3Limits {
  const limits: Pop3Limits = { ...DEFAULT_POP3_LIMITS };
  for (const [key, value] of Object.entries(overrides) as Array<[keyof Pop3Limits, number | undefined]>) {
    if (value === undefined) continue;
    const bounds = POP3_LIMIT_BOUNDS[key] as readonly [number, number] | undefined;
    if (bounds === undefined) throw new RangeError(`unknown POP3 limit ${String(key)}`);
    if (!Number.isSafeInteger(value) || value < bounds[0] || value > bounds[1]) {
      throw new RangeError(`POP3 limit ${key} must be an integer from ${bounds[0]} to ${bounds[1]}, got ${String(value)}`);
    }
    limits[key] = value;
  }
  if (limits.pipelineLowWater >= limits.pipelineWindow) {
    throw new RangeError('pipelineLowWater must be below pipelineWindow');
  }
  return limits;
}
