import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { EventBridgePublisher } from '../../lambda/adapters/eventbridge/publisher.js';
import { FolderMessageStore } from '../../lambda/adapters/local/folder-store.js';
import { JsonLinesPublisher } from '../../lambda/adapters/local/jsonl-publisher.js';
import { FileLeaseStore } from '../../lambda/adapters/local/lease-file.js';
import { FileStateStore } from '../../lambda/adapters/local/state-file.js';
import { S3LeaseStore } from '../../lambda/adapters/s3/lease-store.js';
import { S3MessageStore } from '../../lambda/adapters/s3/message-store.js';
import { S3StateStore } from '../../lambda/adapters/s3/state-store.js';
import { LocalSecretProvider } from '../../lambda/adapters/secrets/local.js';
import { Secret } from '../../lambda/adapters/secrets/secret.js';
import { toConnectOptions } from '../../lambda/compose/connect-options.js';
import { parseConfig, type ConfigInput } from '../../lambda/config/schema.js';
import { buildPollDependencies } from '../../lambda/compose/dependencies.js';
import { LAZY_PORTS } from '../../lambda/compose/services.js';

const dir = mkdtempSync(join(tmpdir(), 'pop3-ingest-wiring-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mailbox = { id: 'box', host: '127.0.0.1', port: 1, auth: { user: 'u', secret: { env: 'NOT_SET_ANYWHERE' } } };
const configOf = (extra: Partial<ConfigInput> = {}) => parseConfig({ mailboxes: [mailbox], ...extra });

describe('the composition root', () => {
  it('wires a local folder and JSON lines when no bucket or bus is configured', async () => {
    const config = configOf();
    const deps = await buildPollDependencies(config.mailboxes[0]!, config, { secrets: new LocalSecretProvider({ env: {} }), ports: LAZY_PORTS, local: { dir } });
    expect(deps.store).toBeInstanceOf(FolderMessageStore);
    expect(deps.state).toBeInstanceOf(FileStateStore);
    expect(deps.lease).toBeInstanceOf(FileLeaseStore);
    expect(deps.publisher).toBeInstanceOf(JsonLinesPublisher);
  });

  it('wires S3 and EventBridge when the config names a bucket and a bus', async () => {
    const config = configOf({ storage: { bucket: 'mail-bucket' }, events: { busName: 'bus' } });
    const deps = await buildPollDependencies(config.mailboxes[0]!, config, {
      secrets: new LocalSecretProvider({ env: {} }),
      ports: LAZY_PORTS,
      s3: new S3Client({ region: 'us-east-1' }),
      eventBridge: new EventBridgeClient({ region: 'us-east-1' }),
    });
    expect(deps.store).toBeInstanceOf(S3MessageStore);
    expect(deps.state).toBeInstanceOf(S3StateStore);
    expect(deps.lease).toBeInstanceOf(S3LeaseStore);
    expect(deps.publisher).toBeInstanceOf(EventBridgePublisher);
  });

  it('refuses to guess a target: no bucket and no local folder is a configuration error', async () => {
    const config = configOf();
    await expect(buildPollDependencies(config.mailboxes[0]!, config, { secrets: new LocalSecretProvider({ env: {} }), ports: LAZY_PORTS })).rejects.toMatchObject({
      code: 'CONFIG_MISSING',
      category: 'permanent',
    });
  });

  it('resolves the secret when the session opens, so a missing secret fails the poll, not the wiring', async () => {
    const config = configOf();
    const seen: unknown[] = [];
    const deps = await buildPollDependencies(config.mailboxes[0]!, config, {
      secrets: new LocalSecretProvider({ env: {} }),
      ports: LAZY_PORTS,
      local: { dir },
      onSourceError: (e) => seen.push(e),
    });
    await expect(deps.source.open()).rejects.toMatchObject({ code: 'SECRET_NOT_FOUND', category: 'auth' });
    expect(seen).toHaveLength(1);
  });
});

describe('connect options', () => {
  it('carry TLS settings, pins and credentials, and never disable certificate checks', () => {
    const config = parseConfig({
      mailboxes: [{
        id: 'm', host: 'pop.example.com',
        tls: { mode: 'starttls', ca: 'PEM', servername: 'mail.example.com', minVersion: 'TLSv1.3', pinSha256: 'A'.repeat(43) + '=' },
        auth: { user: 'me', mechanisms: ['SCRAM-SHA-256'], secret: { env: 'P' } },
      }],
    });
    const options = toConnectOptions(config.mailboxes[0]!, { password: new Secret('pw') });
    expect(options).toEqual({
      host: 'pop.example.com', port: 110, tls: 'starttls', minVersion: 'TLSv1.3', allowInsecureAuth: false,
      credentials: { user: 'me', password: 'pw' },
      ca: 'PEM', servername: 'mail.example.com', pinnedPublicKey: ['A'.repeat(43) + '='], authMethods: ['SCRAM-SHA-256'],
    });
    expect(options).not.toHaveProperty('insecureSkipVerify');
  });

  it('passes engine tuning through as limits', () => {
    const config = parseConfig({ mailboxes: [{ id: 'm', host: 'h', pop3: { commandTimeoutMs: 5_000, pipelineWindow: 200 }, auth: { user: 'me', secret: { env: 'P' } } }] });
    expect(toConnectOptions(config.mailboxes[0]!, { password: new Secret('pw') }).limits).toEqual({ commandTimeoutMs: 5_000, pipelineWindow: 200 });
  });

  it('offers only token mechanisms for an OAuth2 mailbox', () => {
    const config = parseConfig({ mailboxes: [{ id: 'm', host: 'h', auth: { user: 'me', secret: { env: 'P' }, oauth2: { provider: 'google' } } }] });
    const options = toConnectOptions(config.mailboxes[0]!, { accessToken: new Secret('at') });
    expect(options.authMethods).toEqual(['OAUTHBEARER', 'XOAUTH2']);
    expect(options.credentials).toEqual({ user: 'me', accessToken: 'at' });
  });
});
