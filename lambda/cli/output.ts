/**
 * Where the CLI writes: results on stdout (text, or one JSON document with --json), logs on
 * stderr. Nothing here ever prints a secret: fields whose name looks like one are redacted, and
 * strings are escaped so server-controlled text cannot drive the terminal.
 */
import type { Logger } from '../sync/ports.js';

/** Log verbosity chosen by --verbose / --quiet. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Field names that could carry a secret: their values are never printed. */
const SECRET_FIELD = /pass|secret|token|credential|authorization/i;

/** Options of {@link CliLogger}. */
export interface CliLoggerOptions {
  level: LogLevel;
  /** JSON lines instead of text (with --json, so a machine can read stderr too). */
  json: boolean;
  stream?: NodeJS.WritableStream;
}

/** The CLI's logger: implements the sync core's Logger port, writes to stderr. */
export class CliLogger implements Logger {
  private readonly level: number;
  private readonly json: boolean;
  private readonly stream: NodeJS.WritableStream;
  /** Called before each line, so a progress line can be cleared first. */
  beforeWrite: (() => void) | undefined;

  constructor(options: CliLoggerOptions) {
    this.level = LEVEL_RANK[options.level];
    this.json = options.json;
    this.stream = options.stream ?? process.stderr;
  }

  debug(message: string, fields?: Record<string, unknown>): void {
    this.write('debug', message, fields);
  }

  info(message: string, fields?: Record<string, unknown>): void {
    this.write('info', message, fields);
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.write('warn', message, fields);
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.write('error', message, fields);
  }

  private write(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    if (LEVEL_RANK[level] < this.level) return;
    this.beforeWrite?.();
    const safe = redactFields(fields ?? {});
    if (this.json) {
      this.stream.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...safe })}\n`);
      return;
    }
    const tail = Object.entries(safe)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? quoteIfNeeded(v) : JSON.stringify(v)}`)
      .join(' ');
    this.stream.write(`${level === 'info' ? '' : `${level}: `}${escapeText(message)}${tail ? ` ${tail}` : ''}\n`);
  }
}

/** Copies fields with secret-looking keys redacted and strings escaped, recursively. */
export function redactFields(fields: Record<string, unknown>, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET_FIELD.test(k)) {
      out[k] = '[redacted]';
    } else if (typeof v === 'string') {
      out[k] = escapeText(v);
    } else if (v instanceof Error) {
      out[k] = escapeText(v.message);
    } else if (v && typeof v === 'object' && !Array.isArray(v) && depth < 4) {
      out[k] = redactFields(v as Record<string, unknown>, depth + 1);
    } else {
      out[k] = v;
    }
  }
  return out;
}

/** Escapes control characters (ESC, CR, ...) so text from a server cannot rewrite the terminal. */
export function escapeText(text: string, max = 2000): string {
  const escaped = text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return escaped.length > max ? `${escaped.slice(0, max)}...` : escaped;
}

function quoteIfNeeded(v: string): string {
  return /^[\w./:@+-]*$/.test(v) ? v : JSON.stringify(v);
}

/** Writes the command's result: one JSON document, or the human-readable text. */
export function writeResult(json: boolean, document: unknown, text: () => string, stream: NodeJS.WritableStream = process.stdout): void {
  stream.write(json ? `${JSON.stringify(document, null, 2)}\n` : text());
}

/** Formats a byte count for humans (1.2 MiB). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** Picks the log level from --verbose / --quiet. */
export function logLevelFrom(flags: { verbose: boolean; quiet: boolean }): LogLevel {
  if (flags.verbose) return 'debug';
  if (flags.quiet) return 'warn';
  return 'info';
}
