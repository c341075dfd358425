/**
 * What the CDK stack needs to know about a configuration, checked at synth time.
 *
 * The same `parseConfig` the Lambda runs validates the file here, so a bad field fails
 * `cdk synth` with the same message it would have failed the first poll with. On top of that,
 * a few settings that work for the CLI cannot work in the Lambda (a secret in a local env var or
 * file, a CA file on the deployer's disk): those are rejected here, naming the field and the fix.
 */
import { parseConfigJson, readConfigText } from '../lambda/config/load.js';
import { ConfigError, parseConfig, type Config, type ConfigIssue, type MailboxConfig } from '../lambda/config/schema.js';
import { schedulePeriods, trySchedulePeriods, type SchedulePeriods } from './schedule-period.js';

/** A configuration validated for deployment: the file as written (`raw`) and its parsed form. */
export interface DeployConfig {
  /** The JSON object as the user wrote it; the Lambda gets this (plus bucket and bus) to parse itself. */
  readonly raw: Record<string, unknown>;
  /** The validated configuration with every default filled in. */
  readonly config: Config;
  /** Where it came from, for error messages. */
  readonly source: string;
}

/** One Secrets Manager secret a mailbox reads (and writes back, for OAuth2 refresh-token rotation). */
export interface SecretReference {
  readonly mailboxId: string;
  /** ARN (complete or partial) or name, as written in the config. */
  readonly ref: string;
  /** true when the runtime may write a rotated OAuth2 refresh token back (PutSecretValue). */
  readonly writeBack: boolean;
}

/** Reads and validates a JSON configuration file for deployment; throws ConfigError naming each bad field. */
export function loadDeployConfig(path: string): DeployConfig {
  return validateDeployConfig(parseConfigJson(readConfigText(path, 'set it with: cdk synth -c config=path/to/mailboxes.json'), path), path);
}

/** Validates an already-parsed configuration object for deployment (what Pop3Poller does with its `config` prop). */
export function validateDeployConfig(raw: unknown, source = 'the Pop3Poller config'): DeployConfig {
  const config = parseConfig(raw, source);
  const issues = config.mailboxes.flatMap((m, i) => lambdaIssues(m, i));
  if (issues.length > 0) {
    const lines = issues.map((i) => `  - ${i.path}: ${i.message}`);
    throw new ConfigError('CONFIG_INVALID', `Configuration in ${source} cannot run in AWS Lambda:\n${lines.join('\n')}`, issues);
  }
  // parseConfig accepted it, so it is a plain JSON object.
  return { raw: structuredClone(raw) as Record<string, unknown>, config, source };
}

/** The Secrets Manager secrets the configuration references, one entry per distinct secret. */
export function secretReferences(config: Config): SecretReference[] {
  const byRef = new Map<string, SecretReference>();
  for (const m of config.mailboxes) {
    if (!('secretsManager' in m.auth.secret)) continue;
    const ref = m.auth.secret.secretsManager;
    const writeBack = m.auth.oauth2 !== undefined && m.auth.oauth2.grant === 'refresh_token';
    const known = byRef.get(ref);
    byRef.set(ref, { mailboxId: known?.mailboxId ?? m.id, ref, writeBack: writeBack || (known?.writeBack ?? false) });
  }
  return [...byRef.values()];
}

/**
 * Where the runtime writes in the bucket, as prefixes (grants do not grow with the fleet): each
 * mailbox's messages live under `${prefix}${id}/` (lambda/sync/keys.ts), its seen-state and
 * lease are `${statePrefix}state/${id}.json` and `${statePrefix}lease/${id}.json`
 * (lambda/adapters/s3).
 */
export interface ObjectLayout {
  /** The distinct message prefixes (usually one, `mail/`). */
  readonly messagePrefixes: string[];
  /** `${statePrefix}state/` */
  readonly statePrefix: string;
  /** `${statePrefix}lease/` */
  readonly leasePrefix: string;
}

/** Where the runtime reads and writes in the bucket. */
export function objectLayout(config: Config): ObjectLayout {
  const base = config.storage.statePrefix;
  return {
    messagePrefixes: [...new Set(config.mailboxes.map((m) => m.prefix))].sort(),
    statePrefix: `${base}state/`,
    leasePrefix: `${base}lease/`,
  };
}

/** Each mailbox's schedule periods (shortest and longest gap between polls). */
export function mailboxPeriods(config: Config): Map<string, SchedulePeriods> {
  return new Map(config.mailboxes.map((m) => [m.id, schedulePeriods(m.schedule)]));
}

/** The shortest gap between two polls of any one mailbox, in seconds. */
export function shortestPeriodSeconds(config: Config): number {
  return Math.min(...[...mailboxPeriods(config).values()].map((p) => p.minSeconds));
}

// ---------------------------------------------------------------------------------------------

/** Settings the CLI accepts but a Lambda cannot honour. */
function lambdaIssues(m: MailboxConfig, index: number): ConfigIssue[] {
  const at = `mailboxes[${index}]`;
  const issues: ConfigIssue[] = [];
  if ('env' in m.auth.secret) {
    issues.push({
      path: `${at}.auth.secret.env`,
      message: 'a secret in an environment variable would sit in clear in the function configuration: store it in Secrets Manager and write {"secretsManager": "<name or ARN>"}',
    });
  }
  if ('file' in m.auth.secret) {
    issues.push({
      path: `${at}.auth.secret.file`,
      message: 'the Lambda bundle does not carry local files: store the secret in Secrets Manager and write {"secretsManager": "<name or ARN>"}',
    });
  }
  if (m.tls.caFile !== undefined) {
    issues.push({ path: `${at}.tls.caFile`, message: 'the Lambda bundle does not carry local files: inline the PEM bundle with tls.ca instead' });
  }
  const periods = trySchedulePeriods(m.schedule);
  if ('error' in periods) issues.push({ path: `${at}.schedule`, message: periods.error });
  return issues;
}
