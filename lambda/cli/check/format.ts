/**
 * The human-readable `check` report (the --json document is the CheckReport itself).
 */
import { formatBytes } from '../output.js';
import type { CapabilityReport, CheckReport, ProbeOutcome } from './report.js';

const TLS_LABEL = { implicit: 'implicit TLS', starttls: 'STLS', none: 'no TLS' } as const;

/** Formats a CheckReport for a terminal. */
export function formatCheckReport(r: CheckReport): string {
  const out: string[] = [];
  out.push(`${r.target.host}:${r.target.port} (${TLS_LABEL[r.target.tls]})`);
  if (r.connected) out.push(`  connected in ${r.connectMs ?? '?'} ms, greeting: ${r.greeting ?? ''}`);
  else out.push('  not connected');

  if (r.tls) {
    out.push('', r.tls.verified === false ? 'TLS (NOT trusted: shown so you can judge it; nothing was sent)' : 'TLS');
    out.push(row('protocol', `${r.tls.protocol}, cipher ${r.tls.cipher}`));
    const c = r.tls.certificate;
    if (c) {
      out.push(row('subject', c.subject));
      if (c.subjectAltName) out.push(row('names', c.subjectAltName));
      out.push(row('issuer', c.issuer));
      out.push(row('valid', `${c.validFrom} to ${c.validTo} (${c.daysLeft} days left)`));
      out.push(row('sha256', c.fingerprint256));
      out.push(row('pin', `sha256//${c.pinSha256}   (use with --pin)`));
    }
  }

  const caps = r.capabilitiesAfterLogin ?? r.capabilities;
  if (r.capabilities) {
    out.push('', 'Capabilities');
    out.push(row('before login', capList(r.capabilities)));
    if (r.capabilitiesAfterLogin) out.push(row('after login', capList(r.capabilitiesAfterLogin)));
  }
  if (caps) {
    out.push(row('PIPELINING', yesNo(caps.pipelining, r.probes.pipelining)));
    out.push(row('UIDL', yesNo(caps.uidl, r.probes.uidl)));
    out.push(row('TOP', yesNo(caps.top, r.probes.top)));
    out.push(row('EXPIRE', caps.expire === undefined ? '(not advertised)' : String(caps.expire)));
    out.push(row('LOGIN-DELAY', caps.loginDelaySeconds === undefined ? '(not advertised)' : `${caps.loginDelaySeconds} s`));
    if (caps.implementation) out.push(row('server', caps.implementation));
  }
  if (r.connected) out.push(row('login methods', r.authMethods.length > 0 ? r.authMethods.join(', ') : '(none offered)'));

  if (r.login.attempted) {
    out.push('', 'Mailbox');
    out.push(row('login', r.login.ok ? `ok (${r.login.method ?? '?'})` : `FAILED: ${r.login.error?.message ?? ''}`));
    if (r.stat) out.push(row('messages', `${r.stat.messages} (${formatBytes(r.stat.octets)})`));
    if (r.rttMs !== undefined) out.push(row('round trip', `${r.rttMs} ms (NOOP, median)`));
  }

  out.push('', r.findings.length > 0 ? 'Findings' : 'Findings: none, all good');
  for (const f of r.findings) {
    out.push(`  ${f.level.padEnd(7)} ${f.message}`);
    if (f.fix) out.push(`          fix: ${f.fix}`);
  }
  return `${out.join('\n')}\n`;
}

function row(label: string, value: string): string {
  return `  ${label.padEnd(14)} ${value}`;
}

function capList(c: CapabilityReport): string {
  if (!c.capaSupported) return '(CAPA not supported)';
  const names = c.names.filter((n) => n !== 'SASL' && n !== 'IMPLEMENTATION');
  return [...names, ...(c.sasl.length > 0 ? [`SASL(${c.sasl.join(' ')})`] : [])].join(' ');
}

function yesNo(advertised: boolean, probe: ProbeOutcome): string {
  const tried = probe === 'not-tried' ? '' : probe === 'ok' ? ', tried: works' : ', tried: FAILED';
  return `${advertised ? 'advertised' : 'not advertised'}${tried}`;
}
