/**
 * Command-line flags mapped onto the ONE configuration schema (lambda/config/schema.ts), so a
 * flag-defined mailbox is validated exactly like a config file, and errors name the flag.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_DEFAULTS } from '../config/defaults.js';
import { ConfigError } from '../config/errors.js';
import { loadConfigFile, validateConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { isValidMailboxId } from '../sync/keys.js';
import { booleanFlag, choiceFlag, integerFlag, stringFlag, type FlagValues } from './args.js';
import { usageError } from './errors.js';

/** Flags that describe one mailbox's connection; not allowed together with --config. */
const MAILBOX_FLAGS = [
  'host', 'port', 'tls', 'ca', 'servername', 'min-tls', 'pin', 'user', 'password-env', 'password-file',
  'mechanisms', 'insecure-auth', 'mailbox-id', 'mode', 'delete', 'max-messages', 'max-bytes', 'max-message-size',
] as const;

/** Per-mailbox settings a flag may set for every mailbox of --config FILE too. */
interface MailboxOverrides {
  acceptNewEpoch?: true;
  acceptNewIdentity?: true;
  maxAttempts?: number;
  /** --parse: parse stored messages, attachments stored (a mailbox's own parse settings win). */
  parse?: { attachments: true };
}

/** Config paths (as ConfigError reports them) back to the flag a user typed. */
const PATH_TO_FLAG: ReadonlyArray<[RegExp, string]> = [
  [/^mailboxes\[0\]\.host/, '--host'],
  [/^mailboxes\[0\]\.port/, '--port'],
  [/^mailboxes\[0\]\.tls\.mode/, '--tls'],
  [/^mailboxes\[0\]\.tls\.caFile/, '--ca'],
  [/^mailboxes\[0\]\.tls\.servername/, '--servername'],
  [/^mailboxes\[0\]\.tls\.minVersion/, '--min-tls'],
  [/^mailboxes\[0\]\.tls\.pinSha256/, '--pin'],
  [/^mailboxes\[0\]\.tls\.allowInsecureAuth/, '--insecure-auth'],
  [/^mailboxes\[0\]\.auth\.user/, '--user'],
  [/^mailboxes\[0\]\.auth\.mechanisms/, '--mechanisms'],
  [/^mailboxes\[0\]\.auth\.secret/, '--password-env/--password-file'],
  [/^mailboxes\[0\]\.id/, '--mailbox-id'],
  [/^mailboxes\[0\]\.mode/, '--mode'],
  [/^mailboxes\[0\]\.delete/, '--delete'],
  [/^mailboxes\[0\]\.limits\.maxMessages/, '--max-messages'],
  [/^mailboxes\[0\]\.limits\.maxBytes/, '--max-bytes'],
  [/^mailboxes\[0\]\.limits\.maxMessageSize/, '--max-message-size'],
  [/^mailboxes\[0\]\.maxAttempts/, '--max-attempts'],
  [/^mailboxes\[\d+\]\.parse/, '--parse'],
  [/^storage\.bucket/, '--bucket'],
  [/^storage\.prefix/, '--prefix'],
  [/^events\.busName/, '--event-bus'],
];

/** What a command needs from the flags: a login is required for poll, optional for check. */
export interface FlagsConfigOptions {
  requireLogin: boolean;
  /** Id of a flag-defined mailbox without --mailbox-id (see defaultMailboxId). */
  defaultMailboxId?: string;
}

/**
 * The validated Config for a command line: from --config FILE (with --bucket/--event-bus/--prefix
 * overrides), or a single mailbox described by flags.
 */
export async function configFromFlags(values: FlagValues, options: FlagsConfigOptions): Promise<Config> {
  const file = stringFlag(values, 'config');
  if (file !== undefined) {
    const conflicting = MAILBOX_FLAGS.filter((f) => values[f] !== undefined);
    if (conflicting.length > 0) {
      throw usageError(
        `--config cannot be combined with --${conflicting.join(', --')}`,
        'set these in the config file, or drop --config and describe one mailbox by flags',
      );
    }
    return withOverrides(await loadConfigFile(file), values);
  }
  if (values.mailbox !== undefined) throw usageError('--mailbox selects a mailbox of --config FILE; for flags use --mailbox-id');
  return parseFlagsConfig(rawConfigFromFlags(values, options));
}

/** Builds the raw (unvalidated) config object that the flags describe. Exported for tests. */
export function rawConfigFromFlags(values: FlagValues, options: FlagsConfigOptions): Record<string, unknown> {
  const host = stringFlag(values, 'host');
  if (host === undefined) throw usageError('--host is required (or --config FILE)', 'e.g. --host pop.example.com');
  const user = stringFlag(values, 'user');
  const passwordEnv = stringFlag(values, 'password-env');
  const passwordFile = stringFlag(values, 'password-file');
  if (passwordEnv !== undefined && passwordFile !== undefined) throw usageError('give --password-env or --password-file, not both');
  if (options.requireLogin && user === undefined) throw usageError('--user is required');
  if (user !== undefined && passwordEnv === undefined && passwordFile === undefined) {
    throw usageError(
      '--user needs a password source: --password-env NAME or --password-file FILE',
      'passwords are never taken on the command line (they would show in ps and shell history)',
    );
  }
  const tlsMode = choiceFlag(values, 'tls', ['implicit', 'starttls', 'none'] as const);
  const mechanisms = stringFlag(values, 'mechanisms');
  const tls: Record<string, unknown> = {
    mode: tlsMode,
    caFile: stringFlag(values, 'ca'),
    servername: stringFlag(values, 'servername'),
    minVersion: stringFlag(values, 'min-tls'),
    pinSha256: stringFlag(values, 'pin'),
  };
  if (booleanFlag(values, 'insecure-auth')) tls.allowInsecureAuth = true;
  // check without --user never sends a password: the schema's plaintext guard does not apply.
  if (user === undefined && tlsMode === 'none') tls.allowInsecureAuth = true;
  const limits: Record<string, unknown> = {
    maxMessages: integerFlag(values, 'max-messages', { min: 1, max: 10_000_000 }),
    maxBytes: integerFlag(values, 'max-bytes', { min: 1, max: Number.MAX_SAFE_INTEGER, size: true }),
    maxMessageSize: integerFlag(values, 'max-message-size', { min: 1, max: Number.MAX_SAFE_INTEGER, size: true }),
  };
  const mailbox: Record<string, unknown> = {
    id: stringFlag(values, 'mailbox-id') ?? options.defaultMailboxId ?? CONFIG_DEFAULTS.cliMailboxId,
    host,
    port: integerFlag(values, 'port', { min: 1, max: 65535 }),
    tls: dropUndefined(tls),
    // The schema wants auth; `check` without --user never logs in, so this placeholder is never read.
    auth: {
      user: user ?? 'anonymous',
      secret: passwordFile !== undefined ? { file: passwordFile } : { env: passwordEnv ?? 'POP3_INGEST_UNUSED_PASSWORD' },
      ...(mechanisms === undefined ? {} : { mechanisms: mechanisms.split(',').map((m) => m.trim().toUpperCase()).filter(Boolean) }),
    },
    mode: stringFlag(values, 'mode'),
    delete: stringFlag(values, 'delete'),
    limits: dropUndefined(limits),
    ...mailboxOverrides(values),
  };
  return {
    mailboxes: [dropUndefined(mailbox)],
    storage: dropUndefined({ bucket: stringFlag(values, 'bucket'), prefix: stringFlag(values, 'prefix') }),
    events: dropUndefined({ busName: stringFlag(values, 'event-bus') }),
  };
}

/**
 * The id of a flag-defined mailbox when --mailbox-id is not given: one per output folder. The
 * mailbox already kept in `<outDir>/.state` when there is exactly one (a folder made by an
 * earlier version keeps its id), else "default". It never depends on how --host is spelt: a
 * poll of the same folder with another host, port or user meets the sync core's identity check
 * instead of silently starting a second mailbox that downloads everything again.
 */
export function defaultMailboxId(outDir: string | undefined): string {
  if (outDir === undefined) return CONFIG_DEFAULTS.cliMailboxId;
  let names: string[];
  try {
    names = readdirSync(join(outDir, '.state', 'state')).filter((n) => n.endsWith('.json'));
  } catch {
    return CONFIG_DEFAULTS.cliMailboxId;
  }
  const only = names.length === 1 ? (names[0] as string).slice(0, -'.json'.length) : undefined;
  return only !== undefined && isValidMailboxId(only) ? only : CONFIG_DEFAULTS.cliMailboxId;
}

function mailboxOverrides(values: FlagValues): MailboxOverrides {
  const o: MailboxOverrides = {};
  if (booleanFlag(values, 'accept-new-epoch')) o.acceptNewEpoch = true;
  if (booleanFlag(values, 'accept-new-identity')) o.acceptNewIdentity = true;
  const maxAttempts = integerFlag(values, 'max-attempts', { min: 1, max: 100 });
  if (maxAttempts !== undefined) o.maxAttempts = maxAttempts;
  if (booleanFlag(values, 'parse')) o.parse = { attachments: true };
  return o;
}

async function withOverrides(config: Config, values: FlagValues): Promise<Config> {
  const bucket = stringFlag(values, 'bucket');
  const busName = stringFlag(values, 'event-bus');
  const prefix = stringFlag(values, 'prefix');
  const overrides = mailboxOverrides(values);
  if (bucket === undefined && busName === undefined && prefix === undefined && Object.keys(overrides).length === 0) return config;
  // Re-validate through the schema so an override is checked like the file was.
  const raw = {
    ...config,
    storage: { ...config.storage, ...(bucket === undefined ? {} : { bucket }), ...(prefix === undefined ? {} : { prefix }) },
    events: { ...config.events, ...(busName === undefined ? {} : { busName }) },
    mailboxes: config.mailboxes.map((m) => ({
      ...m,
      delete: m.delete.kind === 'after-days' ? `after-days:${m.delete.days}` : m.delete.kind,
      ...(prefix === undefined ? {} : { prefix }),
      ...overrides,
      // A mailbox's own parse settings win; a headers-only mailbox has nothing to parse.
      ...(m.parse ? { parse: m.parse } : m.mode === 'headers' ? { parse: undefined } : {}),
    })),
  };
  return parseFlagsConfig(raw);
}

/** validateConfig, with the config paths in its error translated back to flag names. */
async function parseFlagsConfig(raw: unknown): Promise<Config> {
  try {
    return await validateConfig(raw, 'the command line');
  } catch (error) {
    if (!(error instanceof ConfigError) || error.issues.length === 0) throw error;
    const lines = error.issues.map((i) => {
      const flag = PATH_TO_FLAG.find(([re]) => re.test(i.path))?.[1] ?? i.path;
      return `  ${flag}: ${i.message}`;
    });
    throw usageError(`invalid options:\n${lines.join('\n')}`, 'run with --help to see the accepted values');
  }
}

function dropUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
