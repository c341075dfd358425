/**
 * AWS Secrets Manager secrets, cached per container across invocations with a TTL, so a
 * five-minute schedule does not pay a GetSecretValue per poll; invalidate() after an auth failure
 * forces a fresh read (the secret may just have been rotated).
 */
import { randomUUID } from 'node:crypto';
import { GetSecretValueCommand, PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { classifyError } from '../../shared/errors.js';
import { decodeSecretText, mergeIntoSecretText } from './decode.js';
import { SecretError } from './errors.js';
import { LocalSecretProvider } from './local.js';
import { Secret } from './secret.js';
import { describeSecretRef, type SecretProvider, type SecretRef, type SecretUpdate, type SecretValue } from './types.js';

/** Options for SecretsManagerProvider. */
export interface SecretsManagerProviderOptions {
  client: SecretsManagerClient;
  /** How long a value is reused without asking again (default 5 minutes). */
  ttlMs?: number;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
  /** Serves `{env}` / `{file}` references (default: a LocalSecretProvider over process.env). */
  local?: SecretProvider;
}

interface CacheEntry {
  text: Secret;
  version?: string;
  fetchedAt: number;
}

/** Default time a Secrets Manager value is cached. */
export const DEFAULT_SECRET_TTL_MS = 5 * 60_000;

/** Reads `{secretsManager}` references (and delegates env/file ones to a local provider). */
export class SecretsManagerProvider implements SecretProvider {
  private readonly client: SecretsManagerClient;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly local: SecretProvider;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inFlight = new Map<string, Promise<CacheEntry>>();

  constructor(options: SecretsManagerProviderOptions) {
    this.client = options.client;
    this.ttlMs = options.ttlMs ?? DEFAULT_SECRET_TTL_MS;
    this.now = options.now ?? Date.now;
    this.local = options.local ?? new LocalSecretProvider();
  }

  async get(ref: SecretRef): Promise<SecretValue> {
    if (!('secretsManager' in ref)) return this.local.get(ref);
    const entry = await this.entry(ref.secretsManager);
    const value = decodeSecretText(entry.text.reveal(), describeSecretRef(ref), ref.field);
    if (entry.version !== undefined) value.version = entry.version;
    return value;
  }

  invalidate(ref: SecretRef): void {
    if (!('secretsManager' in ref)) return this.local.invalidate(ref);
    this.cache.delete(ref.secretsManager);
  }

  async update(ref: SecretRef, fields: SecretUpdate): Promise<boolean> {
    if (!('secretsManager' in ref)) return this.local.update?.(ref, fields) ?? false;
    const where = describeSecretRef(ref);
    // Merge into the newest value, not the cached one: another field may have changed meanwhile.
    this.cache.delete(ref.secretsManager);
    const current = await this.entry(ref.secretsManager);
    const next = mergeIntoSecretText(current.text.reveal(), where, fields);
    try {
      const out = await this.client.send(
        new PutSecretValueCommand({ SecretId: ref.secretsManager, SecretString: next, ClientRequestToken: randomUUID() }),
      );
      const entry: CacheEntry = { text: new Secret(next), fetchedAt: this.now() };
      if (out.VersionId !== undefined) entry.version = out.VersionId;
      this.cache.set(ref.secretsManager, entry);
      return true;
    } catch (error) {
      throw translate(error, where, 'SECRET_WRITE_FAILED');
    }
  }

  private async entry(secretId: string): Promise<CacheEntry> {
    const cached = this.cache.get(secretId);
    if (cached && this.now() - cached.fetchedAt < this.ttlMs) return cached;
    // Several mailboxes sharing one secret make one request, not one each.
    const pending = this.inFlight.get(secretId);
    if (pending) return pending;
    const request = this.fetch(secretId).finally(() => this.inFlight.delete(secretId));
    this.inFlight.set(secretId, request);
    return request;
  }

  private async fetch(secretId: string): Promise<CacheEntry> {
    const where = describeSecretRef({ secretsManager: secretId });
    let out;
    try {
      out = await this.client.send(new GetSecretValueCommand({ SecretId: secretId }));
    } catch (error) {
      throw translate(error, where, 'SECRET_UNAVAILABLE');
    }
    if (typeof out.SecretString !== 'string') {
      throw new SecretError('SECRET_INVALID', `${where} has no SecretString (binary secrets are not supported)`);
    }
    const entry: CacheEntry = { text: new Secret(out.SecretString), fetchedAt: this.now() };
    if (out.VersionId !== undefined) entry.version = out.VersionId;
    this.cache.set(secretId, entry);
    return entry;
  }
}

/**
 * Maps a Secrets Manager SDK error to a SecretError that names the real cause and the fix, for
 * a CLI user on a workstation as much as for the Lambda role. Keeps the SDK's name and AWS's own
 * explanation (ARNs, never payloads).
 */
function translate(error: unknown, where: string, fallback: 'SECRET_UNAVAILABLE' | 'SECRET_WRITE_FAILED'): SecretError {
  const e = error as { name?: unknown; message?: unknown } | null;
  const label = typeof e?.name === 'string' ? e.name : 'Error';
  const text = typeof e?.message === 'string' ? e.message.replace(/[\x00-\x1f\x7f]/g, ' ').slice(0, 300) : '';
  const aws = text === '' ? label : `${label}: ${text}`;
  const who = 'locally: the IAM user or role of your AWS_PROFILE / credentials; in Lambda: the function role';
  if (/region is missing/i.test(text)) {
    return new SecretError('SECRET_UNAVAILABLE', `${where}: no AWS region is configured (${label}: Region is missing); set AWS_REGION to the secret's region, or use an AWS_PROFILE that has a region`, {
      category: 'permanent',
      cause: error,
    });
  }
  switch (label) {
    case 'ResourceNotFoundException':
      return new SecretError('SECRET_NOT_FOUND', `${where} does not exist (${label}); check the name or ARN and the region (AWS_REGION)`);
    case 'CredentialsProviderError':
      return new SecretError(
        'SECRET_ACCESS_DENIED',
        `${where}: no AWS credentials found (${label}); on a workstation run "aws configure" or "aws sso login" and set AWS_PROFILE, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`,
      );
    case 'ExpiredTokenException':
    case 'ExpiredToken':
      return new SecretError('SECRET_ACCESS_DENIED', `${where}: the AWS credentials have expired (${label}); refresh them (e.g. "aws sso login") and run again`);
    case 'UnrecognizedClientException':
    case 'InvalidSignatureException':
      return new SecretError('SECRET_ACCESS_DENIED', `${where}: AWS does not accept these credentials (${label}); check AWS_PROFILE or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY`);
    case 'AccessDeniedException':
    case 'AccessDenied':
      return new SecretError('SECRET_ACCESS_DENIED', `${where}: access denied (${aws}); allow secretsmanager:GetSecretValue on this secret to the caller (${who})`);
    case 'DecryptionFailure':
      return new SecretError('SECRET_INVALID', `${where} cannot be decrypted (${aws}); the caller needs kms:Decrypt on the secret's KMS key (${who})`);
    case 'InvalidRequestException':
    case 'InvalidParameterException':
      return new SecretError('SECRET_INVALID', `${where}: request refused (${aws}); the secret may be scheduled for deletion`);
  }
  // Network, 5xx and throttling keep their category; an unknown error stays permanent, so a bug
  // never turns into a retry storm.
  return new SecretError(fallback, `${where}: ${aws}`, { category: classifyError(error).category, cause: error });
}
