import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../lambda/config/schema.js';

const plaintextMailbox = (tls: Record<string, unknown>) => ({
  mailboxes: [{ id: 'legacy', host: 'pop.legacy.test', tls, auth: { user: 'u', secret: { env: 'P' } } }],
});

describe('a password is never configured to travel in clear by accident', () => {
  it('refuses tls.mode none without allowInsecureAuth, naming the fix', () => {
    // Act
    const attempt = () => parseConfig(plaintextMailbox({ mode: 'none' }));
    // Assess
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/mailboxes\[0\]\.tls\.allowInsecureAuth: .*set tls\.allowInsecureAuth: true/);
  });

  it('refuses allowInsecureAuth: false just the same', () => {
    expect(() => parseConfig(plaintextMailbox({ mode: 'none', allowInsecureAuth: false }))).toThrow(/allowInsecureAuth/);
  });

  it('accepts plaintext only with the explicit opt-in', () => {
    const config = parseConfig(plaintextMailbox({ mode: 'none', allowInsecureAuth: true }));
    expect(config.mailboxes[0]!.tls.allowInsecureAuth).toBe(true);
    expect(config.mailboxes[0]!.port).toBe(110);
  });

  it('refuses a TLS floor below 1.2', () => {
    expect(() => parseConfig(plaintextMailbox({ minVersion: 'TLSv1' }))).toThrow(/tls\.minVersion: expected one of TLSv1\.2\|TLSv1\.3/);
  });
});
