/**
 * AWS Secrets Manager secrets, cached per container across invocations with a TTL, so a
 * five-minute schedule does not pay a GetSecretValue per poll; invalidate() after an auth failure
 * forces a fresh read (the secret may just have been rotated).
 */
import { randomUUID } from 'node:crypto';
import { GetSecretValueCommand, PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretRef } from '../../config/schema.js';
import { classifyError } from '../../shared/errors.js';
import { decodeSecretText, mergeIntoSecretText } from './decode.js';
import { SecretError } from './errors.js';
import { LocalSecretProvider } from './local.js';
import { Secret } from './secret.js';
import { describeSecretRef, type SecretProvider, type SecretUpdate, type SecretValue } from './types.js';

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

/** Maps a Secrets Manager SDK error to a SecretError; keeps only the SDK's name, never payloads. */
function translate(error: unknown, where: string, fallback: 'SECRET_UNAVAILABLE' | 'SECRET_WRITE_FAILED'): SecretError {
  const name = (error as { name?: unknown } | null)?.name;
  const label = typeof name === 'string' ? name : 'Error';
  switch (label) {
    case 'ResourceNotFoundException':
      return new SecretError('SECRET_NOT_FOUND', `${where} does not exist (${label})`);
    case 'AccessDeniedException':
    case 'AccessDenied':
    case 'UnrecognizedClientException':
    case 'CredentialsProviderError':
    case 'ExpiredTokenException':
      return new SecretError('SECRET_ACCESS_DENIED', `${where}: access denied (${label}); check the function's IAM policy`);
    case 'DecryptionFailure':
      return new SecretError('SECRET_INVALID', `${where} cannot be decrypted (${label}); check the KMS key policy`);
    case 'InvalidRequestException':
    case 'InvalidParameterException':
      return new SecretError('SECRET_INVALID', `${where}: request refused (${label}); the secret may be scheduled for deletion`);
  }
  // Network, 5xx and throttling keep their category; an unknown error stays permanent, so a bug
  // never turns into a retry storm.
  return new SecretError(fallback, `${where}: ${label}`, { category: classifyError(error).category, cause: error });
}
