/**
 * `check` must say what is wrong and how to fix it: each rule, fed the facts that trigger it.
 */
import { describe, expect, it } from 'vitest';
import { diagnose, hasErrors } from '../../../lambda/cli/check/diagnose.js';
import type { CapabilityReport, CheckReport } from '../../../lambda/cli/check/report.js';
import { checkExitCode } from '../../../lambda/cli/commands/check.js';

const caps = (over: Partial<CapabilityReport> = {}): CapabilityReport => ({
  capaSupported: true, pipelining: true, uidl: true, top: true, user: true, stls: false, respCodes: true, sasl: ['PLAIN'], names: [], ...over,
});

const facts = (over: Partial<Omit<CheckReport, 'findings'>> = {}): Omit<CheckReport, 'findings'> => ({
  target: { host: 'h', port: 995, tls: 'implicit' },
  deletePolicy: 'never',
  connected: true,
  capabilities: caps(),
  authMethods: ['PLAIN', 'USER'],
  login: { attempted: true, ok: true, method: 'PLAIN' },
  probes: { uidl: 'ok', top: 'ok', pipelining: 'ok' },
  tls: { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', certificate: { subject: 'CN=h', issuer: 'CN=ca', validFrom: '', validTo: 'soon', daysLeft: 300, fingerprint256: '', pinSha256: '' } },
  ...over,
});

const ids = (f: Omit<CheckReport, 'findings'>): string[] => diagnose(f).map((x) => x.id);

describe('check findings', () => {
  it('finds nothing wrong with a healthy TLS server', () => {
    const findings = diagnose(facts());
    expect(hasErrors(findings)).toBe(false);
    expect(findings.filter((f) => f.level !== 'info')).toEqual([]);
  });

  it('no UIDL: an error, because new mail cannot be told from old', () => {
    expect(ids(facts({ capabilitiesAfterLogin: caps({ uidl: false }), probes: { uidl: 'failed', top: 'ok', pipelining: 'ok' } }))).toContain('no-uidl');
    expect(hasErrors(diagnose(facts({ probes: { uidl: 'failed', top: 'ok', pipelining: 'ok' } })))).toBe(true);
  });

  it('a server without CAPA is judged by what was actually tried, not by what it did not advertise', () => {
    const noCapa = caps({ capaSupported: false, uidl: false, top: false, pipelining: false });
    expect(ids(facts({ capabilitiesAfterLogin: noCapa, probes: { uidl: 'ok', top: 'ok', pipelining: 'not-tried' } }))).not.toContain('no-uidl');
    expect(ids(facts({ capabilitiesAfterLogin: noCapa, probes: { uidl: 'not-tried', top: 'not-tried', pipelining: 'not-tried' } }))).toContain('uidl-unknown');
    expect(ids(facts({ capabilitiesAfterLogin: noCapa, probes: { uidl: 'failed', top: 'ok', pipelining: 'not-tried' } }))).toContain('no-uidl');
  });

  it('certificate expiring within 14 days: a warning; expired: an error', () => {
    const cert = (daysLeft: number) => ({ protocol: 'TLSv1.3', cipher: 'c', certificate: { subject: '', issuer: '', validFrom: '', validTo: 'x', daysLeft, fingerprint256: '', pinSha256: '' } });
    expect(ids(facts({ tls: cert(13) }))).toContain('cert-expires-soon');
    expect(ids(facts({ tls: cert(14) }))).not.toContain('cert-expires-soon');
    expect(ids(facts({ tls: cert(-1) }))).toContain('cert-expired');
  });

  it('plaintext connection: says to use STLS when offered, implicit TLS when not', () => {
    const plain = { target: { host: 'h', port: 110, tls: 'none' as const }, tls: undefined };
    expect(ids(facts({ ...plain, capabilities: caps({ stls: true }) }))).toContain('plaintext-but-stls-offered');
    expect(ids(facts({ ...plain, capabilities: caps({ stls: false }) }))).toContain('no-stls');
  });

  it('only cleartext login over plaintext: an error naming the fix', () => {
    const f = diagnose(facts({ target: { host: 'h', port: 110, tls: 'none' }, tls: undefined, authMethods: ['USER', 'PLAIN'] }));
    const finding = f.find((x) => x.id === 'plaintext-login-only');
    expect(finding?.level).toBe('error');
    expect(finding?.fix).toContain('--tls');
  });

  it('EXPIRE and LOGIN-DELAY conflicts are explained', () => {
    expect(ids(facts({ capabilitiesAfterLogin: caps({ expire: 0 }) }))).toContain('expire-0');
    expect(ids(facts({ capabilitiesAfterLogin: caps({ expire: 0 }), deletePolicy: 'after-store' }))).not.toContain('expire-0');
    expect(ids(facts({ capabilitiesAfterLogin: caps({ expire: 30 }) }))).toContain('expire-conflict');
    expect(ids(facts({ capabilitiesAfterLogin: caps({ expire: 30 }), deletePolicy: 'after-days:60' }))).toContain('expire-conflict');
    expect(ids(facts({ capabilitiesAfterLogin: caps({ expire: 30 }), deletePolicy: 'after-days:7' }))).not.toContain('expire-conflict');
    expect(ids(facts({ capabilitiesAfterLogin: caps({ expire: 'never' }) }))).not.toContain('expire-conflict');
    const delay = diagnose(facts({ capabilitiesAfterLogin: caps({ loginDelaySeconds: 900 }) })).find((x) => x.id === 'login-delay');
    expect(delay?.fix).toContain('rate(15 minutes)');
  });

  it('no TOP and no PIPELINING are reported with their consequence', () => {
    expect(ids(facts({ capabilitiesAfterLogin: caps({ top: false }), probes: { uidl: 'ok', top: 'not-tried', pipelining: 'ok' } }))).toContain('no-top');
    expect(ids(facts({ capabilities: caps({ pipelining: false }) }))).toContain('no-pipelining');
  });

  it('a connect failure says how to fix it, per cause', () => {
    const failed = (code: string, tls: 'implicit' | 'starttls' = 'implicit') =>
      diagnose(facts({ connected: false, target: { host: 'h', port: 1, tls }, error: { code, category: 'permanent', message: 'm' }, capabilities: undefined, tls: undefined, login: { attempted: false } }))[0];
    expect(failed('POP3_CERT_UNTRUSTED')?.fix).toContain('--ca');
    expect(failed('POP3_CERT_PIN_MISMATCH')?.fix).toContain('--pin');
    expect(failed('POP3_STLS_UNAVAILABLE', 'starttls')?.fix).toContain('--tls implicit');
    expect(failed('POP3_TIMEOUT', 'starttls')?.fix).toContain('--tls implicit');
  });

  it('errors sort first', () => {
    const f = diagnose(facts({ capabilities: caps({ pipelining: false }), probes: { uidl: 'failed', top: 'ok', pipelining: 'not-tried' } }));
    expect(f[0]?.level).toBe('error');
  });
});

describe('check exit code', () => {
  it('is the failure class when connect or login failed, 1 for error findings, else 0', () => {
    const ok = { ...facts(), findings: [] };
    expect(checkExitCode(ok)).toBe(0);
    expect(checkExitCode({ ...ok, findings: [{ level: 'error', id: 'no-uidl', message: '' }] })).toBe(1);
    expect(checkExitCode({ ...ok, login: { attempted: true, ok: false, error: { code: 'POP3_AUTH_FAILED', category: 'auth', message: '' } } })).toBe(3);
    expect(checkExitCode({ ...ok, login: { attempted: true, ok: false, error: { code: 'POP3_IN_USE', category: 'throttled', message: '' } } })).toBe(4);
    expect(checkExitCode({ ...ok, connected: false, error: { code: 'POP3_CONNECT_FAILED', category: 'transient', message: '' } })).toBe(5);
  });
});
