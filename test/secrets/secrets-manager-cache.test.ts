import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretsManagerProvider } from '../../lambda/adapters/secrets/secrets-manager.js';
import { Secret } from '../../lambda/adapters/secrets/secret.js';

const sm = mockClient(SecretsManagerClient);
afterEach(() => sm.reset());

function provider(clock: { t: number }) {
  return new SecretsManagerProvider({ client: new SecretsManagerClient({ region: 'eu-west-1' }), ttlMs: 60_000, now: () => clock.t });
}

describe('SecretsManagerProvider', () => {
  it('reuses a value within the TTL and asks again after it', async () => {
    // Prepare
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ password: 'pw-1' }), VersionId: 'v1' });
    const clock = { t: 0 };
    const secrets = provider(clock);
    // Act
    await secrets.get({ secretsManager: 'mail/pw' });
    clock.t = 59_000;
    const second = await secrets.get({ secretsManager: 'mail/pw' });
    clock.t = 61_000;
    await secrets.get({ secretsManager: 'mail/pw' });
    // Assess
    expect(second.password?.reveal()).toBe('pw-1');
    expect(second.version).toBe('v1');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('re-reads after invalidate (the server refused the cached password)', async () => {
    sm.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'old-pw' }).resolves({ SecretString: 'new-pw' });
    const secrets = provider({ t: 0 });
    expect((await secrets.get({ secretsManager: 'pw' })).password?.reveal()).toBe('old-pw');
    secrets.invalidate({ secretsManager: 'pw' });
    expect((await secrets.get({ secretsManager: 'pw' })).password?.reveal()).toBe('new-pw');
  });

  it('makes one request for concurrent readers of one secret', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'pw' });
    const secrets = provider({ t: 0 });
    await Promise.all([secrets.get({ secretsManager: 's' }), secrets.get({ secretsManager: 's', field: 'password' }).catch(() => undefined)]);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('picks the password from a named JSON field', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ pop3: 'field-pw', other: 'x' }) });
    const value = await provider({ t: 0 }).get({ secretsManager: 's', field: 'pop3' });
    expect(value.password?.reveal()).toBe('field-pw');
  });

  it('writes a rotated refresh token back, merged into the newest value', async () => {
    // Prepare
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ clientId: 'cid', refreshToken: 'rt-1', note: 'keep' }) });
    sm.on(PutSecretValueCommand).resolves({ VersionId: 'v2' });
    const secrets = provider({ t: 0 });
    // Act
    const written = await secrets.update({ secretsManager: 's' }, { refreshToken: new Secret('rt-2') });
    // Assess
    expect(written).toBe(true);
    const put = sm.commandCalls(PutSecretValueCommand)[0]!.args[0].input;
    expect(put.SecretId).toBe('s');
    expect(JSON.parse(put.SecretString ?? '')).toEqual({ clientId: 'cid', refreshToken: 'rt-2', note: 'keep' });
    expect(put.ClientRequestToken).toMatch(/^[0-9a-f-]{36}$/);
    const after = await secrets.get({ secretsManager: 's' });
    expect(after.refreshToken?.reveal()).toBe('rt-2');
    expect(after.version).toBe('v2');
  });

  it.each([
    ['ResourceNotFoundException', 'SECRET_NOT_FOUND', 'auth'],
    ['AccessDeniedException', 'SECRET_ACCESS_DENIED', 'auth'],
    ['DecryptionFailure', 'SECRET_INVALID', 'permanent'],
    ['InternalServiceError', 'SECRET_UNAVAILABLE', 'transient'],
    ['ThrottlingException', 'SECRET_UNAVAILABLE', 'throttled'],
  ])('translates %s into %s (%s)', async (name, code, category) => {
    const error = Object.assign(new Error('sdk'), { name, $metadata: { httpStatusCode: name === 'InternalServiceError' ? 500 : 400 } });
    sm.on(GetSecretValueCommand).rejects(error);
    await expect(provider({ t: 0 }).get({ secretsManager: 's' })).rejects.toMatchObject({ code, category });
  });

  it('delegates env references to the local provider', async () => {
    const secrets = new SecretsManagerProvider({
      client: new SecretsManagerClient({ region: 'eu-west-1' }),
      local: { get: async () => ({ password: new Secret('local') }), invalidate: () => undefined },
    });
    expect((await secrets.get({ env: 'X' })).password?.reveal()).toBe('local');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });
});
