import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SecretError } from '../../lambda/adapters/secrets/errors.js';
import { LocalSecretProvider } from '../../lambda/adapters/secrets/local.js';
import { Secret } from '../../lambda/adapters/secrets/secret.js';

const dir = mkdtempSync(join(tmpdir(), 'pop3-ingest-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('LocalSecretProvider', () => {
  it('reads a password from an environment variable', async () => {
    const provider = new LocalSecretProvider({ env: { MAIL_PW: 'pw-from-env' } });
    const value = await provider.get({ env: 'MAIL_PW' });
    expect(value.password?.reveal()).toBe('pw-from-env');
  });

  it('reads the first line of a plain secret file', async () => {
    const file = join(dir, 'pw.txt');
    writeFileSync(file, 'first-line-pw\r\nignored\n');
    const value = await new LocalSecretProvider().get({ file });
    expect(value.password?.reveal()).toBe('first-line-pw');
  });

  it('reads OAuth2 fields from a JSON secret file, in either spelling', async () => {
    const file = join(dir, 'oauth.json');
    writeFileSync(file, JSON.stringify({ client_id: 'cid', clientSecret: 'csec', refresh_token: 'rt-1' }));
    const value = await new LocalSecretProvider().get({ file });
    expect(value.clientId?.reveal()).toBe('cid');
    expect(value.clientSecret?.reveal()).toBe('csec');
    expect(value.refreshToken?.reveal()).toBe('rt-1');
    expect(value.password).toBeUndefined();
  });

  it('writes a rotated refresh token back into a JSON file, keeping the spelling and a private mode', async () => {
    // Prepare
    const file = join(dir, 'rotate.json');
    writeFileSync(file, JSON.stringify({ client_id: 'cid', refresh_token: 'rt-old' }), { mode: 0o600 });
    const provider = new LocalSecretProvider();
    // Act
    const written = await provider.update({ file }, { refreshToken: new Secret('rt-new') });
    // Assess
    expect(written).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ client_id: 'cid', refresh_token: 'rt-new' });
    expect(statSync(file).mode & 0o077).toBe(0);
  });

  it('cannot write back to an environment variable and says so', async () => {
    expect(await new LocalSecretProvider({ env: {} }).update({ env: 'X' }, { refreshToken: new Secret('x') })).toBe(false);
  });

  it('reports a missing variable or file as an auth problem that names where, not what', async () => {
    const provider = new LocalSecretProvider({ env: {} });
    await expect(provider.get({ env: 'NOPE' })).rejects.toMatchObject({ code: 'SECRET_NOT_FOUND', category: 'auth', message: 'the environment variable named by --password-env (auth.secret.env) is not set' });
    await expect(new LocalSecretProvider({ env: { EMPTY: '' } }).get({ env: 'EMPTY' })).rejects.toMatchObject({
      message: 'the environment variable named by --password-env (auth.secret.env) is empty',
    });
    await expect(provider.get({ file: join(dir, 'absent') })).rejects.toBeInstanceOf(SecretError);
  });

  it('never quotes a broken JSON secret in its error', async () => {
    // Prepare: V8's JSON.parse message would echo this text.
    const provider = new LocalSecretProvider({ env: { BROKEN: '{"password": "leaky-value-123", oops}' } });
    // Act
    const error = await provider.get({ env: 'BROKEN' }).catch((e: unknown) => e as SecretError);
    // Assess
    expect(error).toBeInstanceOf(SecretError);
    expect(JSON.stringify({ m: (error as Error).message, s: (error as Error).stack, c: String((error as Error).cause) })).not.toContain('leaky-value-123');
  });

  it('refuses a Secrets Manager reference it cannot serve', async () => {
    await expect(new LocalSecretProvider().get({ secretsManager: 'x' })).rejects.toMatchObject({ code: 'SECRET_NOT_FOUND', category: 'permanent' });
  });
});
