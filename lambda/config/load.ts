/**
 * Reading a configuration: the one place that turns a file or a JSON string into a validated
 * Config, for the CLI (--config), the Lambda (bundled file or POP3_INGEST_CONFIG) and the CDK
 * stack (cdk synth -c config=...). Same read, same JSON error with its line and column, same
 * validation, so a mistake reads the same wherever it is found. Asynchronous because the zod
 * schema (schema.ts) is imported only for a config the quick check (quick-parse.ts) does not
 * pass: that import is the largest part of a start.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError } from './errors.js';
import { quickParseConfig } from './quick-parse.js';
import type { Config } from './schema.js';

/** Reads a configuration file's text; CONFIG_UNREADABLE (with `hint`, how to name another) when it cannot. */
export function readConfigText(path: string, hint?: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError('CONFIG_UNREADABLE', `Cannot read configuration file ${path}: ${code}${hint === undefined ? '' : ` (${hint})`}`, [], { cause: error });
  }
}

/** Parses configuration JSON; CONFIG_INVALID naming `source` and the line and column of the mistake. */
export function parseConfigJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    // The parser's message may quote file content; it is a config file, not a secret store.
    const where = jsonErrorPosition(text, (error as Error).message);
    const at = where === undefined ? '' : ` at line ${where.line}, column ${where.column}`;
    throw new ConfigError('CONFIG_INVALID', `Invalid JSON in ${source}${at}: ${(error as Error).message}`, [{ path: '', message: `invalid JSON${at}` }], {
      cause: error,
    });
  }
}

/**
 * Validates raw configuration (already-parsed JSON) exactly as schema.ts's parseConfig does, with
 * the same ConfigError (CONFIG_INVALID, every bad field named) when it is wrong.
 */
export async function validateConfig(raw: unknown, source?: string): Promise<Config> {
  return quickParseConfig(raw) ?? (await import('./schema.js')).parseConfig(raw, source);
}

/** Validates configuration JSON text (POP3_INGEST_CONFIG); `source` names it in messages. */
export async function loadConfigText(text: string, source: string): Promise<Config> {
  return validateConfig(parseConfigJson(text, source), source);
}

/**
 * Reads and validates a JSON configuration file. Relative `tls.caFile` and `auth.secret.file`
 * paths are resolved against the file's own folder, so a config works from any working directory.
 */
export async function loadConfigFile(path: string): Promise<Config> {
  return resolveRelativePaths(await loadConfigText(readConfigText(path), path), dirname(resolve(path)));
}

/** Resolves relative file paths in a config against `baseDir` (loadConfigFile does this for you). */
export function resolveRelativePaths(config: Config, baseDir: string): Config {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  return {
    ...config,
    mailboxes: config.mailboxes.map((m) => ({
      ...m,
      tls: m.tls.caFile === undefined ? m.tls : { ...m.tls, caFile: abs(m.tls.caFile) },
      auth: 'file' in m.auth.secret ? { ...m.auth, secret: { file: abs(m.auth.secret.file) } } : m.auth,
    })),
  };
}

/**
 * Line and column (1-based) of a JSON.parse error. V8 names the offset ("at position 42"; Node 22
 * adds "(line 3 column 5)"); an unexpected end of input is at the end of the text.
 */
export function jsonErrorPosition(text: string, message: string): { line: number; column: number } | undefined {
  const lineColumn = /line (\d+) column (\d+)/.exec(message);
  if (lineColumn) return { line: Number(lineColumn[1]), column: Number(lineColumn[2]) };
  const position = /at position (\d+)/.exec(message);
  const offset = position ? Number(position[1]) : /end of (JSON )?input/i.test(message) ? text.length : undefined;
  if (offset === undefined) return undefined;
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}
