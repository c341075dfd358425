/**
 * Command-line parsing over node:util parseArgs (no dependency), driven by the same flag tables
 * that generate `--help`, so the two cannot drift apart.
 */
import { parseArgs } from 'node:util';
import { closestName } from '../config/suggest.js';
import { usageError } from './errors.js';

/** One flag of one command, as parsed and as documented. */
export interface FlagSpec {
  name: string;
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder shown in help, e.g. "HOST". */
  value?: string;
  help: string;
}

/** A command: its name, one-line summary, description, flags and examples. */
export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  description: string;
  flags: readonly FlagSpec[];
  examples: readonly string[];
}

/** Parsed flag values: strings, booleans, or undefined when not given. */
export type FlagValues = Record<string, string | boolean | undefined>;

/** Flags people reach for to give a password: refused with the two ways that exist. */
const PASSWORD_FLAGS = new Set(['password', 'pass', 'passwd', 'pw', 'pwd', 'p']);

/** Parses argv against a command's flags; unknown flags and stray positionals are usage errors. */
export function parseCommandArgs(argv: readonly string[], spec: CommandSpec): FlagValues {
  checkFlagNames(argv, spec);
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const f of spec.flags) {
    options[f.name] = f.short === undefined ? { type: f.type } : { type: f.type, short: f.short };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
  } catch (error) {
    // Names are checked above, so this is a missing value or a value given to a boolean flag;
    // parseArgs names the flag only, never the value.
    const message = error instanceof Error ? error.message : String(error);
    throw usageError(`${spec.name}: ${message}`, `run "pop3-ingest ${spec.name} --help"`);
  }
  if (parsed.positionals.length > 0) {
    throw usageError(
      `${spec.name}: unexpected argument "${printable(parsed.positionals[0] ?? '')}"`,
      `every value follows its flag (--host HOST); run "pop3-ingest ${spec.name} --help"`,
    );
  }
  return parsed.values as FlagValues;
}

/**
 * Refuses unknown flags before parseArgs sees them, naming the closest known flag, and never
 * repeating what follows "=" (it may be a password typed in the wrong place).
 */
function checkFlagNames(argv: readonly string[], spec: CommandSpec): void {
  const long = new Set(spec.flags.map((f) => f.name));
  const short = new Set(spec.flags.flatMap((f) => (f.short === undefined ? [] : [f.short])));
  const takesValue = new Set(spec.flags.filter((f) => f.type === 'string').flatMap((f) => [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])]));
  for (let i = 0; i < argv.length; i += 1) {
    const token = argv[i] as string;
    if (token === '--') return;
    const m = /^(--?)([^=]*)/.exec(token);
    if (!m || token === '-' || token.length < 2) continue;
    const dashes = m[1] as string;
    const name = m[2] as string;
    // The next token is this flag's value, whatever it looks like.
    if (takesValue.has(token)) i += 1;
    if (PASSWORD_FLAGS.has(name.toLowerCase()) && !(dashes === '-' && short.has(name))) {
      throw usageError(
        `${spec.name}: passwords are never taken on the command line (they would show in ps and in the shell history)`,
        'give the name of an environment variable with --password-env NAME, or a file with --password-file FILE',
      );
    }
    if (dashes === '--' ? long.has(name) : [...name].every((c) => short.has(c))) continue;
    const guess = closestName(name, long);
    throw usageError(
      `${spec.name}: unknown option ${dashes}${printable(name, 40)}${guess === undefined ? '' : `: did you mean --${guess}?`}`,
      `run "pop3-ingest ${spec.name} --help" for the list of options`,
    );
  }
}

/** A string flag's value, or undefined. */
export function stringFlag(values: FlagValues, name: string): string | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw usageError(`--${name} needs a value`);
  if (v === '') throw usageError(`--${name} must not be empty`);
  return v;
}

/** A boolean flag (false when absent). */
export function booleanFlag(values: FlagValues, name: string): boolean {
  return values[name] === true;
}

/** An integer flag within [min, max], or undefined. Accepts size suffixes k, m, g when `size`. */
export function integerFlag(
  values: FlagValues,
  name: string,
  bounds: { min: number; max: number; size?: boolean },
): number | undefined {
  const raw = stringFlag(values, name);
  if (raw === undefined) return undefined;
  const m = /^(\d+)([kmg]i?b?)?$/i.exec(raw.trim());
  if (!m || (m[2] !== undefined && !bounds.size)) {
    throw usageError(
      `--${name}: expected ${bounds.size ? 'a size like 1048576, 512k or 50m' : 'a whole number'}, got "${printable(raw)}"`,
    );
  }
  const unit = (m[2] ?? '').toLowerCase().charAt(0);
  const factor = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  const n = Number(m[1]) * factor;
  if (!Number.isSafeInteger(n) || n < bounds.min || n > bounds.max) {
    throw usageError(`--${name}: ${n} is out of range ${bounds.min}..${bounds.max}`);
  }
  return n;
}

/** A string flag restricted to a closed set of values. */
export function choiceFlag<T extends string>(values: FlagValues, name: string, choices: readonly T[]): T | undefined {
  const raw = stringFlag(values, name);
  if (raw === undefined) return undefined;
  if (!(choices as readonly string[]).includes(raw)) {
    throw usageError(`--${name}: expected one of ${choices.join('|')}, got "${printable(raw)}"`);
  }
  return raw as T;
}

/** Escapes user input for an error message (control characters shown as \xNN, length capped). */
export function printable(text: string, max = 80): string {
  const escaped = text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return escaped.length > max ? `${escaped.slice(0, max)}...` : escaped;
}
