import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../lambda/config/schema.js';

const auth = { user: 'u', secret: { env: 'P' } };

/** Runs parseConfig and returns the ConfigError it must throw. */
function rejection(raw: unknown, source?: string): ConfigError {
  try {
    parseConfig(raw, source);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('parseConfig accepted an invalid configuration');
}

describe('an invalid configuration is refused with the field and the fix', () => {
  it('names a bad TLS mode by path and lists the allowed values', () => {
    const error = rejection({ mailboxes: [{ id: 'a', host: 'h', tls: { mode: 'ssl' }, auth }] }, 'mail.json');
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.category).toBe('permanent');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('mail.json');
    expect(error.message).toContain('mailboxes[0].tls.mode: expected one of implicit|starttls|none');
    expect(error.issues).toEqual([{ path: 'mailboxes[0].tls.mode', message: 'expected one of implicit|starttls|none' }]);
  });

  it('refuses a misspelt security field instead of silently ignoring it', () => {
    const error = rejection({ mailboxes: [{ id: 'a', host: 'h', tls: { mode: 'none', alowInsecureAuth: true }, auth }] });
    expect(error.message).toContain('mailboxes[0].tls.alowInsecureAuth: unknown field');
  });

  it('reports every bad field at once', () => {
    const error = rejection({
      mailboxes: [{ id: 'Bad Id', host: '', port: 70000, delete: 'sometimes', limits: { maxMessages: 0 }, auth: { user: 'u', secret: {} } }],
      storage: { bucket: 'Not_A_Bucket', prefix: '/abs' },
      events: { source: 'aws.mail' },
    });
    const paths = error.issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'mailboxes[0].id',
        'mailboxes[0].host',
        'mailboxes[0].port',
        'mailboxes[0].delete',
        'mailboxes[0].limits.maxMessages',
        'mailboxes[0].auth.secret',
        'storage.bucket',
        'storage.prefix',
        'events.source',
      ]),
    );
    expect(error.message).toContain("mailboxes[0].delete: expected 'never', 'after-store' or 'after-days:N'");
  });

  it('says a required field is required', () => {
    const error = rejection({ mailboxes: [{ id: 'a', auth }] });
    expect(error.message).toContain('mailboxes[0].host: required');
  });

  it('refuses an empty mailbox list and a non-object', () => {
    expect(rejection({ mailboxes: [] }).message).toContain('mailboxes: configure at least one mailbox');
    expect(rejection(null).issues.length).toBeGreaterThan(0);
  });

  it('refuses duplicate mailbox ids, which would share state and keys', () => {
    const error = rejection({ mailboxes: [{ id: 'a', host: 'h', auth }, { id: 'a', host: 'h2', auth }] });
    expect(error.message).toContain('mailboxes[1].id: duplicate id "a"');
  });

  it('refuses a secret reference with two sources or none', () => {
    expect(rejection({ mailboxes: [{ id: 'a', host: 'h', auth: { user: 'u', secret: { env: 'P', file: '/x' } } }] }).message).toContain(
      'mailboxes[0].auth.secret: expected exactly one of',
    );
    expect(rejection({ mailboxes: [{ id: 'a', host: 'h', auth: { user: 'u', secret: { env: 'P', field: 'pw' } } }] }).message).toContain(
      'mailboxes[0].auth.secret.field',
    );
  });

  it('refuses a user name that could inject a POP3 command', () => {
    const error = rejection({ mailboxes: [{ id: 'a', host: 'h', auth: { user: 'me\r\nDELE 1', secret: { env: 'P' } } }] });
    expect(error.message).toContain('mailboxes[0].auth.user');
  });

  it('refuses a custom OAuth2 provider without a token URL, and a plain-http token URL', () => {
    const custom = rejection({ mailboxes: [{ id: 'a', host: 'h', auth: { ...auth, oauth2: { provider: 'custom' } } }] });
    expect(custom.message).toContain('mailboxes[0].auth.oauth2.tokenUrl: required when provider is custom');
    const http = rejection({ mailboxes: [{ id: 'a', host: 'h', auth: { ...auth, oauth2: { provider: 'custom', tokenUrl: 'http://idp.example.com/token' } } }] });
    expect(http.message).toContain('mailboxes[0].auth.oauth2.tokenUrl: must be https://');
  });

  it('refuses oauth2 with mechanisms that cannot carry a token', () => {
    const error = rejection({ mailboxes: [{ id: 'a', host: 'h', auth: { ...auth, mechanisms: ['PLAIN'], oauth2: { provider: 'google' } } }] });
    expect(error.message).toContain('mailboxes[0].auth.mechanisms: oauth2 is set');
  });

  it('refuses a filter regex that does not compile', () => {
    const error = rejection({ mailboxes: [{ id: 'a', host: 'h', filter: { rules: [{ subject: '/([/', action: 'skip' }] }, auth }] });
    expect(error.message).toContain('mailboxes[0].filter.rules[0].subject: invalid /regex/');
  });

  it('refuses a pipeline window too small to keep a slow link busy', () => {
    const error = rejection({ mailboxes: [{ id: 'a', host: 'h', pop3: { pipelineWindow: 4 }, auth }] });
    expect(error.message).toContain('mailboxes[0].pop3.pipelineWindow: expected at least 64');
  });

  it('refuses a malformed certificate pin', () => {
    const error = rejection({ mailboxes: [{ id: 'a', host: 'h', tls: { pinSha256: 'abc' }, auth }] });
    expect(error.message).toContain('mailboxes[0].tls.pinSha256');
  });
});
