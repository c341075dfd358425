/**
 * Secrets for the CLI and tests: an environment variable or a file (first line, or a JSON object).
 * Read fresh on every get(): a local file edited between polls is picked up.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fsyncDir } from '../local/durable-fs.js';
import { decodeSecretText, mergeIntoSecretText } from './decode.js';
import { SecretError } from './errors.js';
import { describeSecretRef, type SecretProvider, type SecretRef, type SecretUpdate, type SecretValue } from './types.js';

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
    // Write a sibling, fsync it, rename it over, fsync the folder: a crash or power loss leaves
    // the old token or the new one, never half of one, and never a name pointing at unsynced
    // bytes (the server already revoked the old token, so losing the new one locks us out).
    const mode = (await stat(ref.file)).mode & 0o777;
    const tmp = `${ref.file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      const handle = await open(tmp, 'wx', mode & 0o600 || 0o600);
      try {
        await handle.writeFile(next);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, ref.file);
    } finally {
      await rm(tmp, { force: true });
    }
    await fsyncDir(dirname(ref.file));
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
