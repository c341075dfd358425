/**
 * The configuration check of every start, without zod: importing zod and building the schema
 * costs about 100 ms and 90 KiB of the handler bundle, more than everything else an idle poll
 * does. This accepts what the schema (schema.ts) accepts and returns the very same Config
 * (same values, same defaults, same key order); at the first thing it is not sure of it returns
 * undefined and the caller asks the schema, which also writes the error messages. So it can be
 * strict and short: a config it rejects costs one zod import, never a different answer.
 * test/config/quick-parse-matches-schema.test.ts holds it to the schema.
 */
import { AUTH_METHOD_NAMES, MAX_MESSAGE_SIZE_HARD_CAP, MIN_PIPELINE_WINDOW, TOKEN_MECHANISMS } from '../pop3/index.js';
import { isValidMailboxId } from '../sync/keys.js';
import { CONFIG_DEFAULTS } from './defaults.js';
import {
  BUCKET, BUS_NAME, DELETE, ENV_NAME, EVENT_SOURCE, KEY_PREFIX, MAX_PARSE_BODY_CHARS, NO_CONTROL, PIN_BASE64, PIN_HEX, SCHEDULE, TENANT,
  normalizePin, parseDeletePolicy,
} from './patterns.js';
import type { Config } from './schema.js';

const OAUTH_MECHANISMS: readonly string[] = TOKEN_MECHANISMS;
const AUTH_METHODS: readonly string[] = AUTH_METHOD_NAMES;

/** Thrown inside, caught at the top: "not sure, ask the schema". */
class Unsure extends Error {}

type Obj = Record<string, unknown>;

/** `raw` validated with defaults filled in, exactly as parseConfig returns it; undefined when in any doubt. */
export function quickParseConfig(raw: unknown): Config | undefined {
  try {
    return config(raw);
  } catch (error) {
    if (error instanceof Unsure) return undefined;
    throw error;
  }
}

function config(raw: unknown): Config {
  const c = object(raw, ['$schema', 'mailboxes', 'storage', 'events']);
  if (c.$schema !== undefined) string(c.$schema);
  const list = c.mailboxes;
  if (!Array.isArray(list) || list.length === 0) throw new Unsure();
  const storage = storageOf(c.storage ?? {});
  const events = eventsOf(c.events ?? {});
  const ids = new Set<string>();
  const mailboxes = list.map((m) => {
    const mailbox = mailboxOf(m);
    if (ids.has(mailbox.id)) throw new Unsure();
    ids.add(mailbox.id);
    return { ...mailbox, prefix: mailbox.prefix ?? storage.prefix };
  });
  return { mailboxes, storage, events } as Config;
}

function storageOf(raw: unknown) {
  const s = object(raw, ['bucket', 'prefix', 'statePrefix']);
  return pick({
    bucket: s.bucket === undefined ? undefined : matching(s.bucket, BUCKET),
    prefix: s.prefix === undefined ? CONFIG_DEFAULTS.storagePrefix : matching(s.prefix, KEY_PREFIX),
    statePrefix: s.statePrefix === undefined ? CONFIG_DEFAULTS.statePrefix : matching(s.statePrefix, KEY_PREFIX),
  }) as { bucket?: string; prefix: string; statePrefix: string };
}

function eventsOf(raw: unknown) {
  const e = object(raw, ['busName', 'source']);
  return pick({
    busName: e.busName === undefined ? undefined : matching(e.busName, BUS_NAME),
    source: e.source === undefined ? CONFIG_DEFAULTS.eventSource : matching(e.source, EVENT_SOURCE),
  });
}

const MAILBOX_KEYS = [
  'id', 'host', 'port', 'tls', 'auth', 'mode', 'filter', 'delete', 'limits', 'prefix', 'schedule',
  'loginDelaySeconds', 'acceptNewEpoch', 'acceptNewIdentity', 'maxAttempts', 'pop3', 'parse',
] as const;

function mailboxOf(raw: unknown) {
  const m = object(raw, MAILBOX_KEYS);
  const id = string(m.id);
  if (!isValidMailboxId(id)) throw new Unsure();
  const tls = tlsOf(m.tls ?? {});
  const mode = m.mode === undefined ? CONFIG_DEFAULTS.fetchMode : oneOf(m.mode, ['full', 'headers']);
  const parse = m.parse === undefined ? undefined : parseOf(m.parse);
  if (parse !== undefined && mode === 'headers') throw new Unsure();
  if (tls.mode === 'none' && !tls.allowInsecureAuth) throw new Unsure();
  const out = pick({
    id,
    host: text(m.host),
    port: m.port === undefined ? undefined : integer(m.port, 1, 65535),
    tls,
    auth: authOf(m.auth),
    mode,
    filter: m.filter === undefined ? undefined : filterOf(m.filter),
    delete: parseDeletePolicy(m.delete === undefined ? CONFIG_DEFAULTS.deletePolicy : matching(m.delete, DELETE)),
    limits: limitsOf(m.limits ?? {}),
    prefix: m.prefix === undefined ? undefined : matching(m.prefix, KEY_PREFIX),
    schedule: m.schedule === undefined ? CONFIG_DEFAULTS.schedule : matching(m.schedule, SCHEDULE),
    loginDelaySeconds: m.loginDelaySeconds === undefined ? undefined : integer(m.loginDelaySeconds, 0, 86_400),
    acceptNewEpoch: m.acceptNewEpoch === undefined ? undefined : boolean(m.acceptNewEpoch),
    acceptNewIdentity: m.acceptNewIdentity === undefined ? undefined : boolean(m.acceptNewIdentity),
    maxAttempts: m.maxAttempts === undefined ? CONFIG_DEFAULTS.maxAttempts : integer(m.maxAttempts, 1, 100),
    pop3: m.pop3 === undefined ? undefined : pop3Of(m.pop3),
    parse,
  }) as { id: string; port?: number; prefix?: string };
  // The schema's transform: a port left out follows the TLS mode, added after the other fields.
  return { ...out, port: out.port ?? (tls.mode === 'implicit' ? CONFIG_DEFAULTS.portImplicitTls : CONFIG_DEFAULTS.portPlain) };
}

function tlsOf(raw: unknown) {
  const t = object(raw, ['mode', 'caFile', 'ca', 'servername', 'minVersion', 'pinSha256', 'allowInsecureAuth']);
  if (t.ca !== undefined && t.caFile !== undefined) throw new Unsure();
  if (t.ca !== undefined && string(t.ca) === '') throw new Unsure();
  return pick({
    mode: t.mode === undefined ? CONFIG_DEFAULTS.tlsMode : oneOf(t.mode, ['implicit', 'starttls', 'none']),
    caFile: t.caFile === undefined ? undefined : text(t.caFile),
    ca: t.ca,
    servername: t.servername === undefined ? undefined : text(t.servername),
    minVersion: t.minVersion === undefined ? CONFIG_DEFAULTS.tlsMinVersion : oneOf(t.minVersion, ['TLSv1.2', 'TLSv1.3']),
    pinSha256: t.pinSha256 === undefined ? undefined : pins(t.pinSha256),
    allowInsecureAuth: t.allowInsecureAuth === undefined ? false : boolean(t.allowInsecureAuth),
  }) as { mode: string; allowInsecureAuth: boolean };
}

function pins(raw: unknown): string[] {
  const list = Array.isArray(raw) ? raw : [string(raw)];
  if (list.length === 0) throw new Unsure();
  return list.map((p) => {
    const pin = string(p).replace(/^sha256\/\//i, '');
    if (!PIN_BASE64.test(pin) && !PIN_HEX.test(pin)) throw new Unsure();
    return normalizePin(pin);
  });
}

function authOf(raw: unknown) {
  const a = object(raw, ['user', 'mechanisms', 'secret', 'oauth2']);
  const user = text(a.user);
  let mechanisms: string[] | undefined;
  if (a.mechanisms !== undefined) {
    if (!Array.isArray(a.mechanisms) || a.mechanisms.length === 0) throw new Unsure();
    mechanisms = a.mechanisms.map((x) => oneOf(x, AUTH_METHODS));
  }
  const secret = secretOf(a.secret);
  const oauth2 = a.oauth2 === undefined ? undefined : oauth2Of(a.oauth2);
  if (oauth2 !== undefined && mechanisms !== undefined && !mechanisms.some((m) => OAUTH_MECHANISMS.includes(m))) throw new Unsure();
  return pick({ user, mechanisms, secret, oauth2 });
}

function oauth2Of(raw: unknown) {
  const o = object(raw, ['provider', 'grant', 'tokenUrl', 'tenant', 'scope']);
  // A custom token URL has URL rules (https, loopback http) best left to the schema.
  if (o.tokenUrl !== undefined) throw new Unsure();
  const provider = oneOf(o.provider, ['microsoft', 'google']);
  const grant = o.grant === undefined ? 'refresh_token' : oneOf(o.grant, ['refresh_token', 'client_credentials']);
  const tenant = o.tenant === undefined ? undefined : matching(o.tenant, TENANT);
  if (provider === 'microsoft' && grant === 'client_credentials' && tenant === undefined) throw new Unsure();
  return pick({ provider, grant, tenant, scope: o.scope === undefined ? undefined : text(o.scope) });
}

function secretOf(raw: unknown): { env: string } | { file: string } | { secretsManager: string; field?: string } {
  const s = object(raw, ['env', 'file', 'secretsManager', 'field']);
  const given = [s.env, s.file, s.secretsManager].filter((v) => v !== undefined).length;
  if (given !== 1 || (s.field !== undefined && s.secretsManager === undefined)) throw new Unsure();
  if (s.env !== undefined) return { env: matching(s.env, ENV_NAME) };
  if (s.file !== undefined) return { file: text(s.file) };
  const secretsManager = text(s.secretsManager);
  return s.field === undefined ? { secretsManager } : { secretsManager, field: text(s.field) };
}

function filterOf(raw: unknown) {
  const f = object(raw, ['rules', 'otherwise']);
  const actions = ['full', 'headers', 'skip'] as const;
  let rules: unknown[] = [];
  if (f.rules !== undefined) {
    if (!Array.isArray(f.rules)) throw new Unsure();
    rules = f.rules.map((r) => {
      const rule = object(r, ['from', 'to', 'subject', 'minSize', 'maxSize', 'action']);
      return pick({
        from: rule.from === undefined ? undefined : headerPattern(rule.from),
        to: rule.to === undefined ? undefined : headerPattern(rule.to),
        subject: rule.subject === undefined ? undefined : headerPattern(rule.subject),
        minSize: rule.minSize === undefined ? undefined : integer(rule.minSize, 0, Number.MAX_SAFE_INTEGER),
        maxSize: rule.maxSize === undefined ? undefined : integer(rule.maxSize, 0, Number.MAX_SAFE_INTEGER),
        action: oneOf(rule.action, actions),
      });
    });
  }
  return { rules, otherwise: f.otherwise === undefined ? 'full' : oneOf(f.otherwise, actions) };
}

/** A substring, or a /regex/flags that compiles. */
function headerPattern(raw: unknown): string {
  const value = text(raw);
  const m = /^\/(.*)\/([a-z]*)$/s.exec(value);
  if (m) {
    try {
      new RegExp(m[1] ?? '', m[2]);
    } catch {
      throw new Unsure();
    }
  }
  return value;
}

function limitsOf(raw: unknown) {
  const l = object(raw, ['maxMessages', 'maxBytes', 'maxMessageSize']);
  return pick({
    maxMessages: l.maxMessages === undefined ? undefined : integer(l.maxMessages, 1, Number.MAX_SAFE_INTEGER),
    maxBytes: l.maxBytes === undefined ? undefined : integer(l.maxBytes, 1, Number.MAX_SAFE_INTEGER),
    maxMessageSize: l.maxMessageSize === undefined ? CONFIG_DEFAULTS.maxMessageSize : integer(l.maxMessageSize, 1, MAX_MESSAGE_SIZE_HARD_CAP),
  });
}

function pop3Of(raw: unknown) {
  const p = object(raw, ['handshakeTimeoutMs', 'commandTimeoutMs', 'pipelineWindow']);
  return pick({
    handshakeTimeoutMs: p.handshakeTimeoutMs === undefined ? undefined : integer(p.handshakeTimeoutMs, 1, Number.MAX_SAFE_INTEGER),
    commandTimeoutMs: p.commandTimeoutMs === undefined ? undefined : integer(p.commandTimeoutMs, 1, Number.MAX_SAFE_INTEGER),
    pipelineWindow: p.pipelineWindow === undefined ? undefined : integer(p.pipelineWindow, MIN_PIPELINE_WINDOW, 1000),
  });
}

function parseOf(raw: unknown) {
  const p = object(raw, ['attachments', 'maxBodyChars']);
  return pick({
    attachments: p.attachments === undefined ? true : boolean(p.attachments),
    maxBodyChars: p.maxBodyChars === undefined ? undefined : integer(p.maxBodyChars, 0, MAX_PARSE_BODY_CHARS),
  });
}

// ---------------------------------------------------------------------------------------------
// Checks: each returns the value when it is plainly valid, else throws Unsure.

/**
 * A plain object with only `keys`. A key present with the value undefined (only a programmatic
 * config has one) is left to the schema, which keeps such keys in its output.
 */
function object(raw: unknown, keys: readonly string[]): Obj {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Unsure();
  const proto = Object.getPrototypeOf(raw) as unknown;
  if (proto !== Object.prototype && proto !== null) throw new Unsure();
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined || !keys.includes(key)) throw new Unsure();
  }
  return raw as Obj;
}

/** The defined fields of `o`, in the order written: the schema's output order (its shape's). */
function pick<T extends Obj>(o: T): T {
  for (const key of Object.keys(o)) if (o[key] === undefined) delete o[key];
  return o;
}

function string(raw: unknown): string {
  if (typeof raw !== 'string') throw new Unsure();
  return raw;
}

function text(raw: unknown): string {
  const s = string(raw);
  if (s === '' || !NO_CONTROL.test(s)) throw new Unsure();
  return s;
}

function matching(raw: unknown, re: RegExp): string {
  const s = string(raw);
  if (!re.test(s)) throw new Unsure();
  return s;
}

function oneOf<T extends string>(raw: unknown, values: readonly T[]): T {
  if (!(values as readonly unknown[]).includes(raw)) throw new Unsure();
  return raw as T;
}

function integer(raw: unknown, min: number, max: number): number {
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < min || raw > max) throw new Unsure();
  return raw;
}

function boolean(raw: unknown): boolean {
  if (typeof raw !== 'boolean') throw new Unsure();
  return raw;
}
