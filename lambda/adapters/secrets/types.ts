/**
 * The secret provider port: where a mailbox's password, access token or OAuth2 client
 * credentials come from (Secrets Manager in Lambda, an env var or file locally).
 */
import type { Secret } from './secret.js';

/** Where a mailbox's secret lives (the config's `auth.secret`): exactly one of env, file or secretsManager. */
export type SecretRef =
  | { env: string }
  | { file: string }
  | { secretsManager: string; field?: string };

/** What a secret holds. A plain-string secret is a password; a JSON secret may hold several fields. */
export interface SecretValue {
  /** For PLAIN, LOGIN, SCRAM, CRAM-MD5, APOP, USER/PASS. */
  password?: Secret;
  /** A ready access token for XOAUTH2 / OAUTHBEARER (no OAuth2 flow). */
  accessToken?: Secret;
  /** OAuth2 client id: an identifier, not a secret, but kept wrapped to keep logs uniform. */
  clientId?: Secret;
  clientSecret?: Secret;
  refreshToken?: Secret;
  /** The provider's version of the value (Secrets Manager VersionId), when known. */
  version?: string;
}

/** Fields a provider can write back (OAuth2 refresh-token rotation). */
export interface SecretUpdate {
  refreshToken?: Secret;
}

/** Reads secrets by reference, with caching; invalidate() forces the next get() to re-read. */
export interface SecretProvider {
  get(ref: SecretRef): Promise<SecretValue>;
  /** Drops any cached value for `ref` (call after the server refused the credentials). */
  invalidate(ref: SecretRef): void;
  /**
   * Writes fields back into the secret (merging with what is there). Resolves false when the
   * store cannot be written (an environment variable): the caller logs a warning.
   */
  update?(ref: SecretRef, fields: SecretUpdate): Promise<boolean>;
}

/** A stable cache key for a reference (never contains a secret value). */
export function secretRefKey(ref: SecretRef): string {
  if ('env' in ref) return `env:${ref.env}`;
  if ('file' in ref) return `file:${ref.file}`;
  return `sm:${ref.secretsManager}#${ref.field ?? ''}`;
}

/**
 * A description of a reference safe for messages: names where, never what. A variable name or
 * a file path is NOT repeated: a password typed where the name goes (`--password-env hunter2`)
 * would otherwise be printed, logged and published in the "Mailbox Polled" event. The flag and
 * the config field are named instead; the user knows what they typed there.
 */
export function describeSecretRef(ref: SecretRef): string {
  if ('env' in ref) return 'the environment variable named by --password-env (auth.secret.env)';
  if ('file' in ref) return 'the file named by --password-file (auth.secret.file)';
  return `Secrets Manager secret ${ref.secretsManager}${ref.field === undefined ? '' : ` (field ${ref.field})`}`;
}
