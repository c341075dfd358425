/**
 * The one typed, validated configuration for one or many mailboxes, shared by the Lambda
 * handler, the CLI and the CDK stack. Defaults live in defaults.ts; this file only validates
 * and fills them in. Unknown fields are errors (a typo like `alowInsecureAuth` must not silently
 * weaken security).
 */
import * as z from 'zod';
import { AUTH_METHOD_NAMES, MAX_MESSAGE_SIZE_HARD_CAP, MIN_PIPELINE_WINDOW, TOKEN_MECHANISMS } from '../pop3/index.js';
import type { FilterAction, HeaderFilter } from '../sync/types.js';
import { MAILBOX_ID_MAX_LENGTH, MAILBOX_ID_PATTERN } from '../sync/keys.js';
import { CONFIG_DEFAULTS } from './defaults.js';
import { ConfigError } from './errors.js';
import { toConfigIssues } from './issues.js';
import {
  BUCKET, BUS_NAME, DELETE, ENV_NAME, EVENT_SOURCE, KEY_PREFIX, MAX_PARSE_BODY_CHARS, NO_CONTROL, PIN_BASE64, PIN_HEX, SCHEDULE, TENANT,
  normalizePin, parseDeletePolicy,
} from './patterns.js';

export { ConfigError } from './errors.js';
export { findMailbox } from './find-mailbox.js';
export { MAX_PARSE_BODY_CHARS } from './patterns.js';
export type { ConfigIssue, ConfigErrorCode } from './errors.js';

// ---------------------------------------------------------------------------------------------
// Building blocks

/** `auth.mechanisms` accepts the engine's AUTH_METHOD_NAMES; an oauth2 mailbox needs one of its TOKEN_MECHANISMS. */
const OAUTH_MECHANISMS: readonly string[] = TOKEN_MECHANISMS;

const positiveInt = (what: string) =>
  z.number({ error: `expected a whole number of ${what}` }).int(`expected a whole number of ${what}`).positive(`expected ${what} > 0`);

const text = (what: string) =>
  z.string({ error: `expected ${what} (a string)` }).min(1, `${what} must not be empty`).regex(NO_CONTROL, `${what} must not contain CR, LF or NUL`);

/** A case-insensitive substring, or /regex/flags which must compile. */
const pattern = text('pattern').superRefine((value, ctx) => {
  const m = /^\/(.*)\/([a-z]*)$/s.exec(value);
  if (!m) return;
  try {
    new RegExp(m[1] ?? '', m[2]);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `invalid /regex/: ${(error as Error).message}` });
  }
});

const filterAction = z.enum(['full', 'headers', 'skip'] satisfies FilterAction[]);

const FilterRuleSchema = z.strictObject({
  from: pattern.optional(),
  to: pattern.optional(),
  subject: pattern.optional(),
  minSize: z.number().int().nonnegative().optional(),
  maxSize: z.number().int().nonnegative().optional(),
  action: filterAction,
});

const FilterSchema = z.strictObject({
  rules: z.array(FilterRuleSchema).default([]),
  otherwise: filterAction.default('full'),
}) satisfies z.ZodType<HeaderFilter>;

/** Where a mailbox's secret lives. Exactly one of env, file or secretsManager (the secret adapters' SecretRef). */
type SecretRef =
  | { env: string }
  | { file: string }
  | { secretsManager: string; field?: string };

const SecretRefSchema = z
  .strictObject({
    env: z.string().regex(ENV_NAME, 'expected an environment variable name like POP3_PASSWORD').optional(),
    file: text('file path').optional(),
    secretsManager: text('secret ARN or name').optional(),
    field: text('JSON field name').optional(),
  })
  .superRefine((s, ctx) => {
    const given = (['env', 'file', 'secretsManager'] as const).filter((k) => s[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `expected exactly one of {env: NAME} | {file: PATH} | {secretsManager: ARN-or-name, field?}, got ${given.length === 0 ? 'none' : given.join(' and ')}`,
      });
    }
    if (s.field !== undefined && s.secretsManager === undefined) {
      ctx.addIssue({ code: 'custom', path: ['field'], message: 'field only applies to secretsManager secrets; remove it' });
    }
  })
  .transform((s): SecretRef => {
    if (s.env !== undefined) return { env: s.env };
    if (s.file !== undefined) return { file: s.file };
    return s.field === undefined ? { secretsManager: s.secretsManager ?? '' } : { secretsManager: s.secretsManager ?? '', field: s.field };
  });

const OAuth2Schema = z
  .strictObject({
    provider: z.enum(['microsoft', 'google', 'custom']),
    /** refresh_token: delegated (the secret holds a refresh token). client_credentials: app-only. */
    grant: z.enum(['refresh_token', 'client_credentials']).default('refresh_token'),
    tokenUrl: z.url({ error: 'expected an absolute https:// URL' }).optional(),
    tenant: z.string().regex(TENANT, 'expected a tenant id or domain ([A-Za-z0-9.-])').optional(),
    scope: text('scope').optional(),
  })
  .superRefine((o, ctx) => {
    if (o.provider === 'custom' && o.tokenUrl === undefined) {
      ctx.addIssue({ code: 'custom', path: ['tokenUrl'], message: 'required when provider is custom: set the token endpoint URL' });
    }
    if (o.provider === 'microsoft' && o.grant === 'client_credentials' && o.tenant === undefined) {
      ctx.addIssue({ code: 'custom', path: ['tenant'], message: 'required for microsoft client_credentials: set your tenant id or domain' });
    }
    if (o.tokenUrl !== undefined && !isSecureUrl(o.tokenUrl)) {
      ctx.addIssue({ code: 'custom', path: ['tokenUrl'], message: 'must be https:// (plain http is only accepted on loopback)' });
    }
  });

const AuthSchema = z
  .strictObject({
    user: text('user name'),
    /** Allowed methods, strongest first is not required: the engine ranks them. */
    mechanisms: z.array(z.enum(AUTH_METHOD_NAMES)).min(1, 'list at least one mechanism, or leave mechanisms out').optional(),
    secret: SecretRefSchema,
    oauth2: OAuth2Schema.optional(),
  })
  .superRefine((a, ctx) => {
    if (a.oauth2 && a.mechanisms && !a.mechanisms.some((m) => OAUTH_MECHANISMS.includes(m))) {
      ctx.addIssue({ code: 'custom', path: ['mechanisms'], message: 'oauth2 is set: include XOAUTH2 or OAUTHBEARER, or leave mechanisms out' });
    }
  });

const TlsSchema = z
  .strictObject({
    mode: z.enum(['implicit', 'starttls', 'none']).default(CONFIG_DEFAULTS.tlsMode),
    /** PEM bundle file to trust instead of the system CAs. */
    caFile: text('CA file path').optional(),
    /** PEM bundle inline. */
    ca: z.string().min(1).optional(),
    /** SNI and certificate name to check, when it differs from host. */
    servername: text('server name').optional(),
    minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default(CONFIG_DEFAULTS.tlsMinVersion),
    /** SPKI SHA-256 pins (base64, "sha256//" prefix optional, or hex); the certificate must match one. */
    pinSha256: z
      .union([z.string(), z.array(z.string()).min(1)])
      .transform((v) => (Array.isArray(v) ? v : [v]).map((p) => p.replace(/^sha256\/\//i, '')))
      .pipe(z.array(z.string().refine((p) => PIN_BASE64.test(p) || PIN_HEX.test(p), 'expected a SHA-256 pin: 44 base64 chars or 64 hex digits')))
      .transform((pins) => pins.map(normalizePin))
      .optional(),
    /** Only with mode none: the explicit opt-in to send credentials in clear. */
    allowInsecureAuth: z.boolean().default(false),
  })
  .superRefine((t, ctx) => {
    if (t.ca !== undefined && t.caFile !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['ca'], message: 'give ca or caFile, not both' });
    }
  });

/** Engine tuning for slow or odd servers; defaults live in lambda/pop3/limits.ts. */
const Pop3TuningSchema = z.strictObject({
  handshakeTimeoutMs: positiveInt('milliseconds').optional(),
  commandTimeoutMs: positiveInt('milliseconds').optional(),
  /** RFC 2449 PIPELINING window; below the engine's minimum a slow link stalls. */
  pipelineWindow: z.number().int().min(MIN_PIPELINE_WINDOW, `expected at least ${MIN_PIPELINE_WINDOW}`).max(1000, 'expected at most 1000').optional(),
});

const LimitsSchema = z.strictObject({
  maxMessages: positiveInt('messages').optional(),
  maxBytes: positiveInt('bytes').optional(),
  /** Never above the engine's hard cap: a larger body would be refused mid-stream, every poll. */
  maxMessageSize: positiveInt('bytes')
    .max(MAX_MESSAGE_SIZE_HARD_CAP, `expected at most ${MAX_MESSAGE_SIZE_HARD_CAP} (the POP3 engine's hard cap)`)
    .default(CONFIG_DEFAULTS.maxMessageSize),
});


/** Parsing of stored full messages (lambda/parse): off unless `parse` is given. */
const ParseSchema = z.strictObject(
  {
    /** Store each attachment as its own object (false: list them in message.json and the event only). */
    attachments: z.boolean({ error: 'expected true or false' }).default(true),
    /** Characters of text and of HTML body kept in message.json; the rest is counted, not kept. */
    maxBodyChars: z
      .number({ error: `expected a whole number of characters 0-${MAX_PARSE_BODY_CHARS}` })
      .int(`expected a whole number of characters 0-${MAX_PARSE_BODY_CHARS}`)
      .min(0, `expected a whole number of characters 0-${MAX_PARSE_BODY_CHARS}`)
      .max(MAX_PARSE_BODY_CHARS, `expected at most ${MAX_PARSE_BODY_CHARS} characters (message.json is not a copy of the message: the raw object is)`)
      .optional(),
  },
  { error: 'expected an object like { "attachments": true, "maxBodyChars": 100000 }' },
);

const MailboxSchema = z
  .strictObject({
    id: z.string({ error: 'expected a mailbox id (a string)' }).max(MAILBOX_ID_MAX_LENGTH, `at most ${MAILBOX_ID_MAX_LENGTH} characters`).regex(MAILBOX_ID_PATTERN, 'expected [a-z0-9][a-z0-9-_.]* (lower-case letters, digits, - _ .)').refine((id) => !id.includes('..'), "must not contain '..'"),
    host: text('host name'),
    port: z.number().int('expected a port number 1-65535').min(1, 'expected a port number 1-65535').max(65535, 'expected a port number 1-65535').optional(),
    tls: TlsSchema.prefault({}),
    auth: AuthSchema,
    mode: z.enum(['full', 'headers']).default(CONFIG_DEFAULTS.fetchMode),
    filter: FilterSchema.optional(),
    delete: z
      .string()
      .regex(DELETE, "expected 'never', 'after-store' or 'after-days:N' (N = 1..99999)")
      .default(CONFIG_DEFAULTS.deletePolicy)
      .transform(parseDeletePolicy),
    limits: LimitsSchema.prefault({}),
    /** Key prefix for this mailbox's messages; defaults to storage.prefix. */
    prefix: z.string().regex(KEY_PREFIX, "expected path segments each ending in '/', like \"mail/\"").optional(),
    schedule: z.string().regex(SCHEDULE, 'expected an EventBridge Scheduler expression like "rate(5 minutes)" or "cron(0/10 * * * ? *)"').default(CONFIG_DEFAULTS.schedule),
    /**
     * The server's RFC 2449 LOGIN-DELAY in seconds, when known before deploying (Gmail: 300, preset
     * by host in providers.ts): the CDK construct warns when `schedule` polls more often.
     */
    loginDelaySeconds: z.number({ error: 'expected seconds (0-86400)' }).int('expected whole seconds').min(0, 'expected seconds (0-86400)').max(86_400, 'expected seconds (0-86400)').optional(),
    /** Accept a UID epoch change once (see docs/delivery-guarantees.md). */
    acceptNewEpoch: z.boolean().optional(),
    /** Accept a changed server identity (host, port, user) once and record it. */
    acceptNewIdentity: z.boolean().optional(),
    /** Failed fetch attempts of one UID before it is set aside. */
    maxAttempts: z
      .number({ error: 'expected a whole number of attempts 1-100' })
      .int('expected a whole number of attempts 1-100')
      .min(1, 'expected a whole number of attempts 1-100')
      .max(100, 'expected a whole number of attempts 1-100')
      .default(CONFIG_DEFAULTS.maxAttempts),
    pop3: Pop3TuningSchema.optional(),
    /** Parse each stored full message into message.json and attachments beside it (opt-in). */
    parse: ParseSchema.optional(),
  })
  .superRefine((m, ctx) => {
    if (m.parse && m.mode === 'headers') {
      ctx.addIssue({ code: 'custom', path: ['parse'], message: "parse needs full messages: mode 'headers' stores only header blocks (use mode 'full', or drop parse)" });
    }
    if (m.tls.mode === 'none' && !m.tls.allowInsecureAuth) {
      ctx.addIssue({
        code: 'custom',
        path: ['tls', 'allowInsecureAuth'],
        message: "tls.mode none would send the credentials in clear: use tls.mode implicit|starttls, or set tls.allowInsecureAuth: true to accept the risk",
      });
    }
  })
  .transform((m) => ({ ...m, port: m.port ?? (m.tls.mode === 'implicit' ? CONFIG_DEFAULTS.portImplicitTls : CONFIG_DEFAULTS.portPlain) }));

const StorageSchema = z.strictObject({
  /** S3 bucket; when absent the runtime uses a local folder (CLI) or fails (Lambda). */
  bucket: z.string().regex(BUCKET, 'expected an S3 bucket name (3-63 chars: a-z 0-9 . -)').optional(),
  prefix: z.string().regex(KEY_PREFIX, "expected path segments each ending in '/', like \"mail/\"").default(CONFIG_DEFAULTS.storagePrefix),
  /** Prefix of the seen-state and lease documents (the stores add "state/" and "lease/"). */
  statePrefix: z.string().regex(KEY_PREFIX, "expected path segments each ending in '/', like \"pop3-ingest/\", or empty").default(CONFIG_DEFAULTS.statePrefix),
});

const EventsSchema = z.strictObject({
  /** EventBridge bus name or ARN; when absent the runtime writes JSON lines (CLI). */
  busName: z.string().regex(BUS_NAME, 'expected an event bus name or ARN').optional(),
  source: z.string().regex(EVENT_SOURCE, 'expected an event source like "pop3-ingest" (must not start with "aws.")').default(CONFIG_DEFAULTS.eventSource),
});

/** The configuration schema (zod 4): validates, fills defaults and resolves each mailbox's prefix. */
export const ConfigSchema = z
  .strictObject({
    /** Allowed so editors can point at a JSON Schema. */
    $schema: z.string().optional(),
    mailboxes: z.array(MailboxSchema).min(1, 'configure at least one mailbox'),
    storage: StorageSchema.prefault({}),
    events: EventsSchema.prefault({}),
  })
  .superRefine((c, ctx) => {
    const seen = new Map<string, number>();
    c.mailboxes.forEach((m, i) => {
      const first = seen.get(m.id);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['mailboxes', i, 'id'], message: `duplicate id "${m.id}" (also mailboxes[${first}]): ids must be unique` });
      } else {
        seen.set(m.id, i);
      }
    });
  })
  .transform(({ $schema: _schema, ...c }) => ({
    ...c,
    mailboxes: c.mailboxes.map((m) => ({ ...m, prefix: m.prefix ?? c.storage.prefix })),
  }));

/** A validated configuration with every default filled in. */
export type Config = z.output<typeof ConfigSchema>;
/** What a user may write (defaults optional); for programmatic configs (CLI, CDK, tests). */
export type ConfigInput = z.input<typeof ConfigSchema>;
/** One validated mailbox. */
export type MailboxConfig = Config['mailboxes'][number];
/** A mailbox's TLS settings. */
export type TlsConfig = MailboxConfig['tls'];
/** A mailbox's auth settings. */
export type AuthConfig = MailboxConfig['auth'];
/** A mailbox's OAuth2 settings. */
export type OAuth2Config = NonNullable<AuthConfig['oauth2']>;

// ---------------------------------------------------------------------------------------------
// Entry points

/**
 * Validates raw configuration (already-parsed JSON). Throws ConfigError (CONFIG_INVALID) whose
 * message lists each bad field by path with the fix; `source` names the file in that message.
 */
export function parseConfig(raw: unknown, source?: string): Config {
  // reportInput lets the formatter tell "missing" from "wrong type"; inputs never reach messages.
  const result = ConfigSchema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  const issues = result.error.issues.flatMap((issue) => toConfigIssues(issue, ConfigSchema));
  const where = source === undefined ? '' : ` in ${source}`;
  const lines = issues.map((i) => `  - ${i.path || '(top level)'}: ${i.message}`);
  throw new ConfigError('CONFIG_INVALID', `Invalid configuration${where}:\n${lines.join('\n')}`, issues);
}

// ---------------------------------------------------------------------------------------------
// Helpers

function isSecureUrl(url: string): boolean {
  const u = new URL(url);
  if (u.protocol === 'https:') return true;
  return u.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(u.hostname);
}
