/**
 * `check`'s verdicts: pure rules over a CheckReport. Each says what is wrong, why it matters to
 * pop3-ingest, and the fix. Ordered: errors first.
 */
import { fixFor } from '../advice.js';
import type { CapabilityReport, CheckReport, Finding, ProbeOutcome } from './report.js';

/** A certificate closer than this to expiry is worth a warning. */
export const CERT_EXPIRY_WARNING_DAYS = 14;
/** Round trips slower than this make pipelining (or its absence) matter. */
const SLOW_RTT_MS = 150;
const CLEARTEXT_METHODS = new Set(['USER', 'PLAIN', 'LOGIN']);

/** Derives the findings from the facts; never throws. */
export function diagnose(report: Omit<CheckReport, 'findings'>): Finding[] {
  const findings: Finding[] = [];
  const add = (f: Finding): void => {
    findings.push(f);
  };
  const caps = report.capabilitiesAfterLogin ?? report.capabilities;

  if (report.error && !report.connected) {
    add({ level: 'error', id: 'connect-failed', message: `could not connect: ${report.error.message}`, fix: connectFix(report) });
  } else if (report.error && !report.login.attempted) {
    add({ level: 'error', id: 'session-failed', message: report.error.message });
  }

  transportFindings(report, add);
  if (report.tls?.certificate) certificateFindings(report.tls.certificate.daysLeft, report.tls.certificate.validTo, add);
  if (caps) capabilityFindings(report, caps, add);
  loginFindings(report, add);

  if (report.rttMs !== undefined && report.rttMs > SLOW_RTT_MS) {
    add({
      level: 'info',
      id: 'slow-link',
      message: `round trip is ${report.rttMs.toFixed(0)} ms: every unpipelined command costs that much`,
      ...(caps?.pipelining ? {} : { fix: 'ask the provider for PIPELINING (RFC 2449), or poll less often with larger batches' }),
    });
  }

  const rank = { error: 0, warning: 1, info: 2 } as const;
  return findings.sort((a, b) => rank[a.level] - rank[b.level]);
}

/** True when the report has an error-level finding (check exits non-zero then). */
export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.level === 'error');
}

function transportFindings(report: Omit<CheckReport, 'findings'>, add: (f: Finding) => void): void {
  if (report.target.tls !== 'none') return;
  if (report.capabilities?.stls) {
    add({
      level: 'warning',
      id: 'plaintext-but-stls-offered',
      message: 'connected without TLS although the server offers STLS',
      fix: 'use --tls starttls (or --tls implicit on port 995)',
    });
  } else if (report.connected) {
    add({
      level: 'warning',
      id: 'no-stls',
      message: 'the connection is not encrypted and the server offers no STLS to upgrade it',
      fix: 'try implicit TLS: --tls implicit --port 995; a server without any TLS exposes the password and every message',
    });
  }
}

function certificateFindings(daysLeft: number, validTo: string, add: (f: Finding) => void): void {
  if (daysLeft < 0) {
    add({ level: 'error', id: 'cert-expired', message: `the server certificate expired on ${validTo}`, fix: 'the server operator must renew it' });
  } else if (daysLeft < CERT_EXPIRY_WARNING_DAYS) {
    add({
      level: 'warning',
      id: 'cert-expires-soon',
      message: `the server certificate expires in ${daysLeft} day(s) (${validTo})`,
      fix: 'tell the server operator; polls will fail once it expires. If you pin the key, check the new key before renewing',
    });
  }
}

function capabilityFindings(report: Omit<CheckReport, 'findings'>, caps: CapabilityReport, add: (f: Finding) => void): void {
  if (!caps.capaSupported) {
    add({
      level: 'warning',
      id: 'no-capa',
      message: 'the server does not support CAPA (RFC 2449): UIDL, TOP and PIPELINING are unknown and assumed absent',
    });
  }
  const loggedIn = report.login.ok === true;
  // Without CAPA only a real attempt tells; with CAPA, not advertising it counts as absent.
  const absent = (advertised: boolean, probe: ProbeOutcome): boolean =>
    probe === 'failed' || (loggedIn && caps.capaSupported && !advertised && probe !== 'ok');
  if (absent(caps.uidl, report.probes.uidl)) {
    add({
      level: 'error',
      id: 'no-uidl',
      message: 'UIDL does not work: without unique ids, pop3-ingest cannot tell new mail from old and cannot deduplicate',
      fix: 'use a server (or account setting) with UIDL; pop3-ingest refuses to poll without it',
    });
  } else if (!caps.uidl && report.probes.uidl === 'not-tried') {
    add({
      level: 'info',
      id: 'uidl-unknown',
      message: loggedIn ? 'UIDL could not be tried (no CAPA and no mail); poll will fail clearly if it is missing' : 'UIDL not advertised before login; log in (--user) to find out',
    });
  }
  if (absent(caps.top, report.probes.top)) {
    add({
      level: 'warning',
      id: 'no-top',
      message: 'TOP does not work: --mode headers, header filters and headers-only storage of oversized messages are unavailable',
      fix: 'use --mode full and a --max-message-size large enough for your mail',
    });
  }
  if (caps.capaSupported && !caps.pipelining) {
    add({
      level: 'info',
      id: 'no-pipelining',
      message: 'no PIPELINING: commands go one per round trip, so large mailboxes over slow links poll slowly',
    });
  }
  expireFindings(caps.expire, report.deletePolicy, add);
  if (caps.loginDelaySeconds !== undefined && caps.loginDelaySeconds > 0) {
    add({
      level: 'warning',
      id: 'login-delay',
      message: `LOGIN-DELAY ${caps.loginDelaySeconds}: the server refuses logins more often than every ${caps.loginDelaySeconds} s ([LOGIN-DELAY])`,
      fix:
        `schedule polls no more often than that, e.g. rate(${Math.max(1, Math.ceil(caps.loginDelaySeconds / 60))} minutes), and set ` +
        `"loginDelaySeconds": ${caps.loginDelaySeconds} on the mailbox so the CDK construct checks the schedule; a poll that comes sooner is ` +
        'skipped as busy without connecting, and a check with a login counts as a login too',
    });
  }
  const methods = report.authMethods;
  const secure = report.target.tls !== 'none';
  if (report.connected && methods.length === 0 && !report.login.attempted) {
    add({
      level: 'info',
      id: 'no-auth-methods',
      message: secure
        ? 'the server advertises no login method (no SASL, no USER)'
        : 'the server advertises no login method before TLS (normal for servers that disable plaintext login)',
      ...(secure ? {} : { fix: 'use --tls starttls or --tls implicit' }),
    });
  }
  if (methods.length > 0 && methods.every((m) => CLEARTEXT_METHODS.has(m))) {
    add(
      secure
        ? { level: 'info', id: 'cleartext-methods-only', message: `only password-revealing methods offered (${methods.join(', ')}); fine over TLS` }
        : {
            level: 'error',
            id: 'plaintext-login-only',
            message: `only cleartext login (${methods.join(', ')}) is offered and the connection is not encrypted: the password would be exposed`,
            fix: 'use --tls starttls or --tls implicit; --insecure-auth is only for loopback tests',
          },
    );
  }
}

/**
 * RFC 2449 section 6.7 EXPIRE: how long the server keeps mail once it was retrieved. Nothing is
 * lost either way (pop3-ingest stores before QUIT); the finding is about the server copy.
 */
function expireFindings(expire: number | 'never' | undefined, policy: string, add: (f: Finding) => void): void {
  if (expire === undefined || expire === 'never' || policy === 'after-store') return;
  const policyDays = /^after-days:(\d+)$/.exec(policy)?.[1];
  if (expire === 0) {
    add({
      level: 'warning',
      id: 'expire-0',
      message: `EXPIRE 0: the server deletes every message once it is retrieved, whatever --delete ${policy} says`,
      fix: 'nothing is lost (stored before QUIT), but no other client will see this mail; use --delete after-store to say so',
    });
  } else if (policyDays === undefined || Number(policyDays) > expire) {
    add({
      level: 'warning',
      id: 'expire-conflict',
      message: `EXPIRE ${expire}: the server deletes retrieved mail after ${expire} day(s), earlier than --delete ${policy}`,
      fix: `nothing is lost (it is in the store), but expect mail to leave the server after ${expire} day(s); --delete after-days:${expire} matches it`,
    });
  }
}

function loginFindings(report: Omit<CheckReport, 'findings'>, add: (f: Finding) => void): void {
  const login = report.login;
  if (!login.attempted) {
    if (report.connected) {
      add({ level: 'info', id: 'not-logged-in', message: 'no credentials given: showing what the server says before login', fix: 'add --user and --password-env NAME to test the login and mailbox' });
    }
    return;
  }
  if (login.ok || !login.error) return;
  const fixes: Record<string, string> = {
    permanent: 'see the message; --mechanisms restricts or widens the methods tried',
    transient: 'try again; check the network path to the server',
  };
  const fix = fixFor(login.error, report.target) ?? fixes[login.error.category];
  add({ level: 'error', id: 'login-failed', message: `login failed: ${login.error.message}`, ...(fix ? { fix } : {}) });
}

function connectFix(report: Omit<CheckReport, 'findings'>): string {
  const fix = report.error ? fixFor(report.error, report.target) : undefined;
  return fix ?? 'check host and port (implicit TLS is usually 995, plaintext/STLS 110) and that the server is reachable';
}
