/**
 * Threat: the config the stack ships inside the bundle (POP3_INGEST_CONFIG_FILE, an absolute
 * /var/task path) cannot know the bucket and bus CloudFormation creates, so the handler would
 * poll with no bucket (and fail every mailbox) unless POP3_INGEST_BUCKET / POP3_INGEST_EVENT_BUS
 * reach it; and a named bucket must not silently win over the one the stack resolved.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHandlerRuntime } from '../../lambda/compose/handler-runtime.js';

const dir = mkdtempSync(join(tmpdir(), 'pop3-ingest-config-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A config as the stack bundles it: no bucket, no bus. */
const shipped = {
  mailboxes: [{ id: 'support', host: 'pop.example.com', auth: { user: 'u', secret: { secretsManager: 'pop3-ingest/support' } } }],
  storage: { prefix: 'mail/' },
  events: { source: 'acme.mail' },
};

function writeConfig(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

describe('a bundled config file gets the bucket and bus the stack resolved at deploy time', async () => {
  it('reads the file from an absolute path and lays the deploy-time bucket and bus over it', async () => {
    // Prepare
    const file = writeConfig('pop3-ingest.config.json', shipped);

    // Act
    const config = await createHandlerRuntime({ POP3_INGEST_CONFIG_FILE: file, POP3_INGEST_BUCKET: 'stack-mail-1a2b', POP3_INGEST_EVENT_BUS: 'stack-bus' }).config();

    // Assess
    expect(config.mailboxes.map((m) => m.id)).toEqual(['support']);
    expect(config.storage).toMatchObject({ bucket: 'stack-mail-1a2b', prefix: 'mail/' });
    expect(config.events).toEqual({ busName: 'stack-bus', source: 'acme.mail' });
  });

  it('prefers the stack\'s bucket and bus over ones named in the file, for an inline config too', async () => {
    // Prepare
    const named = { ...shipped, storage: { bucket: 'old-bucket' }, events: { busName: 'old-bus' } };
    const env = { POP3_INGEST_BUCKET: 'new-bucket', POP3_INGEST_EVENT_BUS: 'arn:aws:events:eu-west-1:111122223333:event-bus/new' };

    // Act
    const fromFile = await createHandlerRuntime({ ...env, POP3_INGEST_CONFIG_FILE: writeConfig('named.json', named) }).config();
    const inline = await createHandlerRuntime({ ...env, POP3_INGEST_CONFIG: JSON.stringify(named) }).config();

    // Assess
    for (const config of [fromFile, inline]) {
      expect(config.storage.bucket).toBe('new-bucket');
      expect(config.events.busName).toBe(env.POP3_INGEST_EVENT_BUS);
    }
  });

  it('keeps the file\'s own bucket and bus when the variables are unset or blank', async () => {
    const named = { ...shipped, storage: { bucket: 'own-bucket' }, events: { busName: 'own-bus' } };
    const config = await createHandlerRuntime({ POP3_INGEST_CONFIG_FILE: writeConfig('own.json', named), POP3_INGEST_BUCKET: ' ' }).config();
    expect(config.storage.bucket).toBe('own-bucket');
    expect(config.events.busName).toBe('own-bus');
  });
});
