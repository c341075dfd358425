/**
 * Secrets for the CLI and tests: an environment variable or a file (first line, or a JSON object).
 * Read fresh on every get(): a local file edited between polls is picked up.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import type { SecretRef } from '../../config/schema.js';
import { decodeSecretText, mergeIntoSecretText } from './decode.js';
import { SecretError } from './errors.js';
import { describeSecretRef, type SecretProvider, type SecretUpdate, type SecretValue } from './types.js';

/** Options for LocalSecretProvider. */
export interface LocalSecretProviderOptions {
  /** Environment to read `{env}` references from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** Reads `{env}` and `{file}` secrets; refuses `{secretsManager}` (use SecretsManagerProvider). */
export class LocalSecretProvider implements SecretProvider {
  private readonly env: NodeJS.ProcessEnv;

  constructor(options: LocalSecretProviderOptions = {}) {
    this.env = options.env ?? process.env;
  }

  async get(ref: SecretRef): Promise<SecretValue> {
    const where = describeSecretRef(ref);
    if ('env' in ref) {
      const text = this.env[ref.env];
      if (text === undefined) throw new SecretError('SECRET_NOT_FOUND', `${where} is not set`);
      if (text.trim() === '') throw new SecretError('SECRET_INCOMPLETE', `${where} is empty`);
      return decodeSecretText(text, where);
    }
    if ('file' in ref) return decodeSecretText(await readSecretFile(ref.file, where), where);
    throw new SecretError('SECRET_NOT_FOUND', `${where}: this runtime has no Secrets Manager provider`, { category: 'permanent' });
  }

  invalidate(_ref: SecretRef): void {
    // Nothing cached: every get() reads afresh.
  }

  async update(ref: SecretRef, fields: SecretUpdate): Promise<boolean> {
    if (!('file' in ref)) return false;
    const where = describeSecretRef(ref);
    const next = mergeIntoSecretText(await readSecretFile(ref.file, where), where, fields);
    // Write a sibling then rename: a crash leaves the old or the new file, never half of one.
    const mode = (await stat(ref.file)).mode & 0o777;
    const tmp = `${ref.file}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, next, { mode: mode & 0o600 || 0o600 });
    await rename(tmp, ref.file);
    return true;
  }
}

async function readSecretFile(path: string, where: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SecretError('SECRET_NOT_FOUND', `${where} does not exist`);
    if (code === 'EACCES' || code === 'EPERM') throw new SecretError('SECRET_ACCESS_DENIED', `${where} is not readable (${code})`);
    throw new SecretError('SECRET_INVALID', `${where} cannot be read (${code ?? 'error'})`, { category: 'permanent' });
  }
}
