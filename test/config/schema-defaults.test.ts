import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS } from '../../lambda/config/defaults.js';
import { parseConfig, type ConfigInput } from '../../lambda/config/schema.js';
import { mailboxIdentity, toMailboxPolicy } from '../../lambda/compose/policy.js';

const minimal: ConfigInput = {
  mailboxes: [{ id: 'inbox', host: 'pop.example.com', auth: { user: 'me', secret: { env: 'POP3_PASSWORD' } } }],
};

describe('a minimal configuration gets secure, lossless defaults', () => {
  it('defaults to implicit TLS on 995, TLS 1.2 floor, no insecure auth', () => {
    // Act
    const config = parseConfig(minimal);
    // Assess
    const m = config.mailboxes[0]!;
    expect(m.tls).toEqual({ mode: 'implicit', minVersion: 'TLSv1.2', allowInsecureAuth: false });
    expect(m.port).toBe(995);
  });

  it('never deletes unless told to, fetches full messages and caps message size', () => {
    const m = parseConfig(minimal).mailboxes[0]!;
    expect(m.delete).toEqual({ kind: 'never' });
    expect(m.mode).toBe('full');
    expect(m.limits).toEqual({ maxMessageSize: CONFIG_DEFAULTS.maxMessageSize });
    expect(m.schedule).toBe('rate(5 minutes)');
  });

  it('fills storage and events defaults and gives each mailbox the storage prefix', () => {
    const config = parseConfig(minimal);
    expect(config.storage).toEqual({ prefix: 'mail/', statePrefix: '' });
    expect(config.events).toEqual({ source: 'pop3-ingest' });
    expect(config.mailboxes[0]!.prefix).toBe('mail/');
  });

  it('uses port 110 for starttls and for none', () => {
    const config = parseConfig({
      mailboxes: [
        { id: 'a', host: 'h', tls: { mode: 'starttls' }, auth: { user: 'u', secret: { env: 'P' } } },
        { id: 'b', host: 'h', tls: { mode: 'none', allowInsecureAuth: true }, auth: { user: 'u', secret: { env: 'P' } } },
        { id: 'c', host: 'h', port: 1995, auth: { user: 'u', secret: { env: 'P' } } },
      ],
    });
    expect(config.mailboxes.map((m) => m.port)).toEqual([110, 110, 1995]);
  });

  it('parses delete policies into the sync core vocabulary', () => {
    const withDelete = (d: string) =>
      parseConfig({ mailboxes: [{ id: 'a', host: 'h', delete: d, auth: { user: 'u', secret: { env: 'P' } } }] }).mailboxes[0]!.delete;
    expect(withDelete('after-store')).toEqual({ kind: 'after-store' });
    expect(withDelete('after-days:7')).toEqual({ kind: 'after-days', days: 7 });
  });

  it('accepts a full multi-mailbox configuration', () => {
    const config = parseConfig({
      $schema: './config.schema.json',
      storage: { bucket: 'my-mail-bucket', prefix: 'raw/' },
      events: { busName: 'mail-bus', source: 'acme.mail' },
      mailboxes: [
        {
          id: 'support.eu-1',
          host: 'outlook.office365.com',
          tls: { mode: 'implicit', minVersion: 'TLSv1.3', servername: 'outlook.office365.com', pinSha256: 'sha256//' + 'A'.repeat(43) + '=' },
          auth: {
            user: 'support@acme.test',
            mechanisms: ['XOAUTH2'],
            secret: { secretsManager: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pop3-support' },
            oauth2: { provider: 'microsoft', tenant: 'acme.onmicrosoft.com' },
          },
          mode: 'headers',
          filter: { rules: [{ from: '/@partner\\.test$/', action: 'full' }, { maxSize: 1000, action: 'skip' }], otherwise: 'headers' },
          delete: 'after-days:30',
          limits: { maxMessages: 500, maxBytes: 100_000_000, maxMessageSize: 10_000_000 },
          prefix: 'support/',
          schedule: 'cron(0/10 * * * ? *)',
        },
        { id: 'billing', host: 'pop.acme.test', auth: { user: 'b', secret: { file: '/run/secrets/billing' } } },
      ],
    });
    expect(config.mailboxes.map((m) => m.prefix)).toEqual(['support/', 'raw/']);
    expect(config.mailboxes[0]!.tls.pinSha256).toEqual(['A'.repeat(43) + '=']);
    expect(config.mailboxes[0]!.auth.oauth2).toEqual({ provider: 'microsoft', grant: 'refresh_token', tenant: 'acme.onmicrosoft.com' });
    expect(config).not.toHaveProperty('$schema');
  });

  it('normalises a hex pin with colons to base64', () => {
    const hex = Array.from({ length: 32 }, () => 'ab').join(':');
    const config = parseConfig({ mailboxes: [{ id: 'a', host: 'h', tls: { pinSha256: [hex] }, auth: { user: 'u', secret: { env: 'P' } } }] });
    expect(config.mailboxes[0]!.tls.pinSha256).toEqual([Buffer.alloc(32, 0xab).toString('base64')]);
  });

  it('maps a mailbox to the sync core policy', () => {
    const config = parseConfig({
      mailboxes: [{ id: 'a', host: 'h', delete: 'after-store', limits: { maxMessages: 3 }, acceptNewEpoch: true, auth: { user: 'u', secret: { env: 'P' } } }],
    });
    expect(toMailboxPolicy(config.mailboxes[0]!)).toEqual({
      id: 'a',
      mode: 'full',
      delete: { kind: 'after-store' },
      limits: { maxMessages: 3, maxMessageSize: CONFIG_DEFAULTS.maxMessageSize },
      keyPrefix: 'mail/',
      acceptNewEpoch: true,
      identity: mailboxIdentity('h', 995, 'u'),
      maxAttempts: 3,
    });
    expect(mailboxIdentity('h', 995, 'u')).toMatch(/^[0-9a-f]{16}$/);
  });
});
