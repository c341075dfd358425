import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../lambda/config/load.js';
import { ConfigError, findMailbox } from '../../lambda/config/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'pop3-ingest-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadConfigFile', () => {
  it('resolves relative CA and secret files against the config file folder', async () => {
    // Prepare
    const file = join(dir, 'ok.json');
    writeFileSync(file, JSON.stringify({
      mailboxes: [{ id: 'a', host: 'h', tls: { caFile: 'ca.pem' }, auth: { user: 'u', secret: { file: 'secrets/pw' } } }],
    }));
    // Act
    const config = await loadConfigFile(file);
    // Assess
    expect(config.mailboxes[0]!.tls.caFile).toBe(join(dir, 'ca.pem'));
    expect(config.mailboxes[0]!.auth.secret).toEqual({ file: join(dir, 'secrets/pw') });
  });

  it('names the file in validation errors', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ mailboxes: [{ id: 'a', host: 'h', tls: { mode: 'tls' }, auth: { user: 'u', secret: { env: 'P' } } }] }));
    await expect(loadConfigFile(file)).rejects.toThrow(`Invalid configuration in ${file}`);
  });

  it('reports invalid JSON and a missing file as ConfigError', async () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{ "mailboxes": [ ');
    await expect(loadConfigFile(file)).rejects.toThrow(ConfigError);
    await expect(loadConfigFile(join(dir, 'absent.json'))).rejects.toThrow(/Cannot read configuration file .*ENOENT/);
  });

  it('finds a mailbox by id or names the configured ones', async () => {
    const file = join(dir, 'two.json');
    writeFileSync(file, JSON.stringify({ mailboxes: ['a', 'b'].map((id) => ({ id, host: 'h', auth: { user: 'u', secret: { env: 'P' } } })) }));
    const config = await loadConfigFile(file);
    expect(findMailbox(config, 'b').id).toBe('b');
    expect(() => findMailbox(config, 'c')).toThrow('No mailbox "c" in the configuration (configured: a, b)');
  });
});
