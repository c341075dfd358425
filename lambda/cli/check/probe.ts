/**
 * Gathers the facts for `check`: what the server shows before login (the engine's open step),
 * then, when credentials are given, a login on the same connection to try UIDL, TOP,
 * pipelining, STAT and the NOOP round trip. Never RETR, never DELE: checking a mailbox cannot
 * change it.
 */
import type { MailboxConfig } from '../../config/schema.js';
import { readCaFile, resolveCredentials, toLoginCredentials, toOpenOptions } from '../../compose/connect-options.js';
import { OAuthTokenProvider } from '../../adapters/oauth/token-provider.js';
import type { SecretProvider } from '../../adapters/secrets/types.js';
import type { Pop3Capabilities, Pop3PreAuthSession, Pop3Session, TlsInfo } from '../../pop3/index.js';
import { classifyError } from '../../shared/errors.js';
import type { Logger } from '../../sync/ports.js';
import { escapeText } from '../output.js';
import { explainConnectError } from '../../compose/connect-errors.js';
import { describeCertificate, inspectCertificate, withImplicitTlsCheck } from '../tls-probe.js';
import { diagnose } from './diagnose.js';
import { openBeforeLogin } from './open-before-login.js';
import type { CapabilityReport, CertificateReport, CheckReport, Finding } from './report.js';

/** Options of {@link checkMailbox}. */
export interface CheckOptions {
  /** Log in (credentials come from the mailbox's secret). */
  login: boolean;
  secrets: SecretProvider;
  timeoutMs: number;
  logger: Logger;
  now?: () => Date;
}

/** Full listings bigger than this are not fetched by check: UIDL 1 is tried instead. */
const FULL_UIDL_LIMIT = 10_000;
const NOOP_SAMPLES = 5;

/** Runs every probe against one mailbox; never throws for server-side problems (they are findings). */
export async function checkMailbox(mailbox: MailboxConfig, options: CheckOptions): Promise<CheckReport> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  const now = options.now ?? (() => new Date());
  const report: Omit<CheckReport, 'findings'> = {
    target: {
      host: mailbox.host,
      port: mailbox.port,
      tls: mailbox.tls.mode,
      ...(mailbox.tls.servername === undefined ? {} : { servername: mailbox.tls.servername }),
    },
    deletePolicy: mailbox.delete.kind === 'after-days' ? `after-days:${mailbox.delete.days}` : mailbox.delete.kind,
    connected: false,
    authMethods: [],
    login: { attempted: false },
    probes: { uidl: 'not-tried', top: 'not-tried', pipelining: 'not-tried' },
  };
  const extra: Finding[] = [];
  const ca = await readCaFile(mailbox);
  const target = { host: mailbox.host, port: mailbox.port, tls: mailbox.tls.mode, ...(mailbox.tls.servername ? { servername: mailbox.tls.servername } : {}) };
  const openOptions = {
    ...toOpenOptions(mailbox, ca === undefined ? {} : { ca }),
    limits: { handshakeTimeoutMs: options.timeoutMs, commandTimeoutMs: options.timeoutMs },
  };
  let opened: Pop3PreAuthSession;
  try {
    opened = await withImplicitTlsCheck(target, signal, (s) => openBeforeLogin(openOptions, s));
    report.connected = true;
    report.connectMs = round(opened.greetingMs);
    report.greeting = opened.greeting;
    if (opened.tlsInfo) report.tls = tlsReport(opened.tlsInfo, now());
    report.capabilities = capabilityReport(opened.capabilities);
    report.authMethods = [
      ...opened.capabilities.sasl, ...(opened.capabilities.user ? ['USER'] : []), ...(opened.apopTimestamp === undefined ? [] : ['APOP']),
    ];
  } catch (error) {
    report.error = errorReport(explainConnectError(error, target));
    if (report.error.code === 'POP3_CERT_UNTRUSTED' || report.error.code === 'POP3_CERT_PIN_MISMATCH') {
      // Show what the server presents even though it is not trusted: its names, and the pin
      // that --pin takes, so a self-signed server can be pinned without openssl.
      const seen = await inspectCertificate(mailbox);
      if (seen) {
        report.tls = { ...tlsReport(seen, now()), verified: false };
        if (!report.error.message.includes('the certificate holds')) {
          report.error.message = escapeText(`${report.error.message}: ${describeCertificate(seen, mailbox.tls.servername ?? mailbox.host)}`, 1500);
        }
      }
    }
    return { ...report, findings: diagnose(report) };
  }

  if (!options.login) {
    await opened.quit();
    return { ...report, findings: [...diagnose(report), ...extra] };
  }
  report.login = { attempted: true };
  let session: Pop3Session | undefined;
  try {
    const credentials = await resolveCredentials(mailbox, options.secrets, new OAuthTokenProvider({ secrets: options.secrets }), signal);
    session = await opened.login(toLoginCredentials(mailbox, credentials));
    report.login = { attempted: true, ok: true, method: session.authMethod };
    await probeSession(session, report, extra);
    await session.quit();
  } catch (error) {
    if (session === undefined) opened.abort(error);
    else session.abort(error);
    const explained = explainConnectError(error, target);
    if (report.login.ok) report.error = errorReport(explained);
    else report.login = { attempted: true, ok: false, error: errorReport(explained) };
  }
  return { ...report, findings: [...diagnose(report), ...extra] };
}

/** Tries what polling needs, on a logged-in session. */
async function probeSession(session: Pop3Session, report: Omit<CheckReport, 'findings'>, extra: Finding[]): Promise<void> {
  report.capabilitiesAfterLogin = capabilityReport(session.capabilities);
  const stat = await session.stat();
  report.stat = { messages: stat.count, octets: stat.size };

  // Round trip: a few NOOPs one after another, median.
  const samples: number[] = [];
  for (let i = 0; i < NOOP_SAMPLES; i += 1) {
    const t = performance.now();
    await session.noop();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  report.rttMs = round(samples[Math.floor(samples.length / 2)] ?? 0);

  // Pipelining: several commands in flight at once must come back in order and intact.
  if (session.capabilities.pipelining) {
    try {
      await Promise.all(Array.from({ length: 8 }, () => session.noop()));
      report.probes.pipelining = 'ok';
    } catch {
      report.probes.pipelining = 'failed';
      throw new Error('pipelined NOOPs failed: the server advertises PIPELINING but does not handle it');
    }
  }

  if (stat.count === 0) return;
  try {
    if (stat.count <= FULL_UIDL_LIMIT) {
      const listing = await session.uidl();
      report.probes.uidl = listing.entries.length > 0 ? 'ok' : 'failed';
      if (listing.rejected.length > 0) {
        extra.push({
          level: 'warning',
          id: 'bad-uids',
          message: `${listing.rejected.length} message(s) have invalid or duplicate UIDs: pop3-ingest leaves them alone (never fetched, never deleted)`,
          fix: 'ask the provider; RFC 1939 section 7 requires unique ids of 1-70 printable characters',
        });
      }
    } else {
      await session.uidlOne(1);
      report.probes.uidl = 'ok';
    }
  } catch {
    report.probes.uidl = 'failed';
  }
  try {
    const headers = await session.top(1, 0);
    let octets = 0;
    for await (const chunk of headers) octets += (chunk as Buffer).length;
    report.probes.top = octets > 0 ? 'ok' : 'failed';
  } catch {
    report.probes.top = 'failed';
  }
}

function capabilityReport(c: Pop3Capabilities): CapabilityReport {
  return {
    capaSupported: c.capaSupported,
    pipelining: c.pipelining,
    uidl: c.uidl,
    top: c.top,
    user: c.user,
    stls: c.stls,
    respCodes: c.respCodes,
    sasl: [...c.sasl],
    ...(c.expire === undefined ? {} : { expire: c.expire }),
    ...(c.loginDelaySeconds === undefined ? {} : { loginDelaySeconds: c.loginDelaySeconds }),
    ...(c.implementation === undefined ? {} : { implementation: escapeText(c.implementation, 200) }),
    names: c.names.map((n) => escapeText(n, 40)),
  };
}

function tlsReport(info: TlsInfo, now: Date): { protocol: string; cipher: string; certificate: CertificateReport } {
  const validTo = new Date(info.validTo);
  return {
    protocol: info.protocol,
    cipher: info.cipher,
    certificate: {
      subject: escapeText(info.subject, 500),
      issuer: escapeText(info.issuer, 500),
      ...(info.subjectAltName === undefined ? {} : { subjectAltName: escapeText(info.subjectAltName, 500) }),
      validFrom: info.validFrom,
      validTo: info.validTo,
      daysLeft: Math.floor((validTo.getTime() - now.getTime()) / 86_400_000),
      fingerprint256: info.fingerprint256,
      pinSha256: info.publicKeyPin.replace(/^sha256\/\//, ''),
    },
  };
}

function errorReport(error: unknown): { code: string; category: string; message: string } {
  const { code, category } = classifyError(error);
  const e = error as { serverText?: unknown; command?: unknown } | null;
  const message = error instanceof Error ? error.message : String(error);
  // The server's own words, and the (masked) command that drew them: "AUTH PLAIN", "PASS".
  const said = typeof e?.serverText === 'string' && e.serverText !== '' ? ` (server said: "${e.serverText}"` : '';
  const to = said && typeof e?.command === 'string' ? ` to ${e.command.replace(/ \*\*\*\*$/, '')})` : said ? ')' : '';
  return { code, category, message: escapeText(`${message}${said}${to}`, 1000) };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
