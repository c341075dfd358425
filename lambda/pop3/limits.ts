/**
 * Every limit the POP3 engine enforces, with its default, in one place so the framer, the
 * parsers, the pipeline and the session cannot drift apart (imapflow `lib/handler/limits.js`).
 */

/** Limits and timeouts of one POP3 session; all sizes in octets, all times in milliseconds. */
export interface Pop3Limits {
  /** Longest status, CAPA, LIST or UIDL line, CRLF excluded. RFC 2449 allows 512; servers exceed it. */
  maxLineLength: number;
  /** Longest line inside a message body. RFC 5322 says 998 + CRLF; real mail exceeds it widely. */
  maxBodyLineLength: number;
  /** Most lines accepted in a CAPA reply. */
  maxCapaLines: number;
  /** Most entries accepted in a LIST or UIDL reply. */
  maxListingEntries: number;
  /** Largest message body accepted (actual octets after unstuffing; LIST sizes are only hints). */
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

/** The defaults: generous for real servers, bounded against hostile ones. */
export const DEFAULT_POP3_LIMITS: Readonly<Pop3Limits> = Object.freeze({
  maxLineLength: 8 * 1024,
  maxBodyLineLength: 64 * 1024,
  maxCapaLines: 256,
  maxListingEntries: 1_000_000,
  maxMessageSize: 256 * 1024 * 1024,
  pipelineWindow: 100,
  pipelineLowWater: 20,
  handshakeTimeoutMs: 30_000,
  commandTimeoutMs: 60_000,
  bodyHighWaterMark: 256 * 1024,
});

/** Smallest pipeline window accepted when pipelining (below it a slow link stalls). */
export const MIN_PIPELINE_WINDOW = 64;

/** RFC 5034 section 4: an AUTH command line, initial response included, stays within 255 octets. */
export const MAX_AUTH_LINE_OCTETS = 255;

/** Merges overrides over the defaults and checks they make sense. */
export function resolveLimits(overrides: Partial<Pop3Limits> = {}): Pop3Limits {
  const limits: Pop3Limits = { ...DEFAULT_POP3_LIMITS };
  for (const [key, value] of Object.entries(overrides) as Array<[keyof Pop3Limits, number | undefined]>) {
    if (value === undefined) continue;
    if (!Number.isFinite(value) || value <= 0) {
      throw new RangeError(`POP3 limit ${key} must be a positive number, got ${String(value)}`);
    }
    limits[key] = value;
  }
  if (limits.pipelineWindow < MIN_PIPELINE_WINDOW) {
    throw new RangeError(`pipelineWindow must be at least ${MIN_PIPELINE_WINDOW}`);
  }
  if (limits.pipelineLowWater >= limits.pipelineWindow) {
    throw new RangeError('pipelineLowWater must be below pipelineWindow');
  }
  return limits;
}
