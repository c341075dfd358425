/**
 * The one base class for every error pop3-ingest raises on purpose.
 *
 * Each layer (protocol engine, sync core, adapters, config) subclasses it with its own closed
 * catalogue of codes; the entry points only ever look at `category` and `retryable`.
 */

/** What a caller should do about an error: the four answers the entry points act on. */
export type ErrorCategory =
  /** Network, TLS, timeout, 5xx: the next attempt may well succeed. */
  | 'transient'
  /** Mailbox busy ([IN-USE], [LOGIN-DELAY]), lease held, throttled by AWS: try next time, not now. */
  | 'throttled'
  /** Credentials refused or missing: retrying changes nothing until a human acts. */
  | 'auth'
  /** Bad config, protocol violation, hostile input, unsupported server: a human must act. */
  | 'permanent';

/** Options shared by every IngestError subclass. */
export interface IngestErrorOptions {
  cause?: unknown;
  /** Overrides the category's default retryability. */
  retryable?: boolean;
}

/**
 * Gives an error class its name for good: the handler bundle is minified without keepNames (it
 * saves 34 KiB), so a class's own name would be a minified letter in logs and the DLQ. Call it in
 * the class's static block; instances take it through `new.target.name`.
 */
export function keepClassName(cls: abstract new (...args: never[]) => unknown, name: string): void {
  Object.defineProperty(cls, 'name', { value: name, configurable: true });
}

/** Base class: a stable machine-readable code, a category and whether a retry can help. */
export class IngestError extends Error {
  static {
    keepClassName(this, 'IngestError');
  }

  readonly code: string;
  readonly category: ErrorCategory;
  readonly retryable: boolean;

  constructor(code: string, category: ErrorCategory, message: string, options: IngestErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.category = category;
    this.retryable = options.retryable ?? (category === 'transient' || category === 'throttled');
  }
}

/** Options of a catalogue error: IngestErrorOptions plus a category that overrides the code's own. */
export interface CatalogueErrorOptions extends IngestErrorOptions {
  category?: ErrorCategory;
}

/**
 * Base class for a layer's error with a closed catalogue of codes: the category comes from the
 * code's entry in `catalogue` unless `options.category` overrides it. Each layer subclasses it
 * under its own name, e.g. `export class SecretError extends catalogueError(SECRET_ERROR_CODES) {}`.
 */
export function catalogueError<C extends string>(catalogue: Readonly<Record<C, ErrorCategory>>) {
  return class extends IngestError {
    declare readonly code: C;

    constructor(code: C, message: string, options: CatalogueErrorOptions = {}) {
      super(code, options.category ?? catalogue[code], message, options);
    }
  };
}

/** Node's own network error codes that mean "the link failed, try again". */
const TRANSIENT_SYSTEM_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH',
  'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'ERR_SOCKET_CLOSED', 'ERR_STREAM_PREMATURE_CLOSE',
]);

/**
 * Classify once: maps any thrown value to a category. IngestErrors carry their own; SDK and
 * system errors are recognised by their well-known fields; anything else is permanent.
 */
export function classifyError(error: unknown): { category: ErrorCategory; retryable: boolean; code: string } {
  if (error instanceof IngestError) {
    return { category: error.category, retryable: error.retryable, code: error.code };
  }
  const e = error as { code?: unknown; name?: unknown; $retryable?: unknown; $metadata?: { httpStatusCode?: number } } | null;
  const code = typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'UNKNOWN';
  if (e && typeof e === 'object') {
    if (e.$retryable || (e.$metadata?.httpStatusCode ?? 0) >= 500) {
      return { category: 'transient', retryable: true, code };
    }
    if (code === 'ThrottlingException' || code === 'SlowDown' || e.$metadata?.httpStatusCode === 429) {
      return { category: 'throttled', retryable: true, code };
    }
    if (TRANSIENT_SYSTEM_CODES.has(code)) return { category: 'transient', retryable: true, code };
    if (code === 'AbortError') return { category: 'transient', retryable: true, code };
  }
  return { category: 'permanent', retryable: false, code };
}
