/**
 * The fix for a failure, one rule per error code, shared by `check` (its findings) and `poll`
 * (its summary, text and --json), so both say the same thing about the same failure.
 */
import type { ConnectTarget } from '../compose/connect-errors.js';

/** A classified failure, as PollSummary.error and CheckReport.error carry it. */
export interface FailureInfo {
  code: string;
  category: string;
  message: string;
}

/** What to do about a failure: the fix, in the CLI's own flag names. */
export function fixFor(failure: FailureInfo, target: ConnectTarget): string | undefined {
  const { code, message } = failure;
  const rule = RULES[code];
  if (rule) return rule(message, target);
  // The secret adapters put the cause AND the fix in their message (region, credentials, IAM).
  if (code.startsWith('SECRET_')) return undefined;
  if (code.includes('IDENTITY')) {
    return 'if it is the same mailbox under another name (e.g. localhost and 127.0.0.1), run once with --accept-new-identity; otherwise give it its own --mailbox-id or --out folder';
  }
  if (failure.category === 'auth') return AUTH_FIX;
  if (failure.category === 'throttled') return 'another client or poller has the mailbox: try again later';
  return undefined;
}

const AUTH_FIX = 'check --user and the password; for Microsoft 365 or Gmail use OAuth2 or an app password; --mechanisms chooses the login methods';

const RULES: Readonly<Record<string, (message: string, t: ConnectTarget) => string | undefined>> = {
  CONFIG_TLS_MISMATCH: (m) =>
    /speaks TLS at once/.test(m)
      ? 'use --tls implicit (tls.mode "implicit") on this port'
      : 'use --tls starttls on this port (tls.mode "starttls"), or --tls implicit with port 995',
  POP3_CONNECT_FAILED: (m, t) => networkFix(m, t),
  POP3_TLS_FAILED: (m, t) =>
    networkFix(m, t) ??
    (t.tls === 'implicit'
      ? 'TLS handshake failed: if the port speaks plaintext POP3, use --tls starttls (port 110)'
      : 'TLS handshake failed: check --min-tls and that the server supports TLS 1.2 or newer'),
  POP3_CONNECTION_CLOSED: (m, t) => networkFix(m, t) ?? 'the server closed the connection: try again; if it persists, run check',
  POP3_CERT_UNTRUSTED: (m) =>
    /checked name/.test(m) && /ALTNAME|HOSTNAME/.test(m)
      ? 'connect with a name the certificate holds (--host NAME), or set --servername NAME; never disable verification'
      : `give the CA that signed it with --ca FILE (PEM)${/key pin (sha256\/\/\S+)/.test(m) ? `, or trust exactly this key: --pin ${/key pin (sha256\/\/\S+)/.exec(m)?.[1] ?? ''}` : ', or pin the key shown by "pop3-ingest check" with --pin'}`,
  POP3_CERT_PIN_MISMATCH: () => 'the server key does not match --pin: the key changed, or someone is in the middle; compare with "pop3-ingest check" before changing the pin',
  POP3_STLS_UNAVAILABLE: () => 'the server does not offer STLS: use --tls implicit --port 995',
  POP3_TIMEOUT: (_m, t) =>
    t.tls === 'implicit'
      ? 'no answer in time: check host, port and firewalls (implicit TLS is usually 995)'
      : 'no greeting in time: if this port expects TLS at once (995), use --tls implicit; else check host, port and firewalls',
  POP3_AUTH_FAILED: () => AUTH_FIX,
  POP3_AUTH_UNAVAILABLE: () => 'none of the allowed login methods is offered: see "login methods" in "pop3-ingest check", and widen --mechanisms',
  POP3_INSECURE_AUTH_REFUSED: () => 'use --tls starttls or --tls implicit; --insecure-auth is only for loopback tests',
  POP3_IN_USE: () => 'another session holds the mailbox (another client, or a previous poll still ending): try again later',
  POP3_LOGIN_DELAY: () => 'the server allows logins only every so often (LOGIN-DELAY): poll less often',
  POP3_UNSUPPORTED: () => 'use a server (or account setting) with UIDL; pop3-ingest refuses to poll without unique ids',
  SECRET_NOT_FOUND: (m) =>
    /--password-env/.test(m)
      ? 'export the variable in the shell that runs pop3-ingest (MAIL_PW=... pop3-ingest ...); --password-env takes the variable\'s NAME, not the password'
      : /--password-file/.test(m)
        ? 'check the path given to --password-file (it takes a FILE holding the password, not the password)'
        : undefined,
  SECRET_INCOMPLETE: (m) => (/is empty/.test(m) ? 'put the password into it (the first line of a file is used)' : undefined),
  SYNC_CIRCUIT_OPEN: () => 'if the server was migrated on purpose, run once with --accept-new-epoch (see docs/delivery-guarantees.md)',
  SYNC_LEASE_HELD: () => 'another poll of this mailbox is running: try again when it ends',
  SYNC_LOGIN_DELAY: () => 'the server\'s LOGIN-DELAY since the last login has not passed, so this poll did not connect: poll less often (docs/providers.md)',
  SYNC_SEED_NEEDS_TOP: () => 'seed without --since (every message is recorded), or poll instead',
  SYNC_STATE_CORRUPT: () => 'the seen-state in the --out folder (.state) is damaged: look at it before deleting anything; see docs/delivery-guarantees.md',
};

function networkFix(message: string, t: ConnectTarget): string | undefined {
  if (/connection refused/.test(message)) {
    return `check --port (995 for implicit TLS, 110 for STLS or plain POP3; now ${t.port}) and that the server is running`;
  }
  if (/host not found/.test(message)) return 'check the spelling of --host and that this machine can resolve it (DNS, VPN)';
  if (/no route|unreachable|timed out/.test(message)) return 'check the network path to the server (VPN, firewall, proxy)';
  return undefined;
}
