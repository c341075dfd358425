/**
 * Connection failures said in the words a user acts on, for the handler, `poll` and `check`
 * alike. The engine's error keeps its code and category; only what it carries (the Node error
 * code in its cause chain, the certificate Node attached) is put into the message. One mistake
 * is a configuration error rather than a network one: implicit TLS against a port that speaks
 * plain POP3 fails the same way on every retry.
 */
import { Pop3Error } from '../pop3/index.js';
import { ConfigError } from '../config/errors.js';

/** Where a connection went, as configured. */
export interface ConnectTarget {
  host: string;
  port: number;
  tls: 'implicit' | 'starttls' | 'none';
  servername?: string;
}

/** OpenSSL's answer when the peer's first bytes are not a TLS record ("+OK ..." is not). */
const PLAINTEXT_PEER_CODES = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST']);

/** Node's resolver and socket codes, in words. */
const SYSTEM_REASONS: Readonly<Record<string, (t: ConnectTarget) => string>> = {
  ECONNREFUSED: (t) => `connection refused by ${t.host}:${t.port}: nothing accepts connections on that port`,
  ENOTFOUND: (t) => `host not found: ${t.host} does not resolve`,
  EAI_AGAIN: (t) => `host not found: ${t.host} could not be resolved right now (DNS lookup timed out)`,
  EHOSTUNREACH: (t) => `no route to ${t.host}`,
  ENETUNREACH: (t) => `network unreachable on the way to ${t.host}`,
  ETIMEDOUT: (t) => `connection to ${t.host}:${t.port} timed out`,
  ECONNRESET: (t) => `${t.host}:${t.port} closed the connection`,
};

/** The Node error codes along an error's cause chain, outermost first. */
export function causeCodes(error: unknown): string[] {
  const codes: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e !== null && typeof e === 'object' && depth < 8; depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    e = (e as { cause?: unknown }).cause;
  }
  return codes;
}

/** The first error along the cause chain that satisfies `test`. */
export function findCause<T>(error: unknown, test: (e: object) => e is T & object): T | undefined {
  let e: unknown = error;
  for (let depth = 0; e !== null && typeof e === 'object' && depth < 8; depth += 1) {
    if (test(e)) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Rewrites a connect-time error so its message names the real cause; returns `error` itself when
 * there is nothing to add. Implicit TLS on a plaintext port becomes ConfigError CONFIG_TLS_MISMATCH.
 */
export function explainConnectError(error: unknown, target: ConnectTarget): unknown {
  if (!(error instanceof Pop3Error)) return error;
  const codes = causeCodes(error.cause);
  if (target.tls !== 'none' && codes.some((c) => PLAINTEXT_PEER_CODES.has(c))) {
    return new ConfigError('CONFIG_TLS_MISMATCH', plaintextPortMessage(target), [{ path: 'tls.mode', message: 'this port speaks plain POP3' }], {
      cause: error,
    });
  }
  if (error.code === 'POP3_CONNECT_FAILED' || error.code === 'POP3_TLS_FAILED') {
    const reason = codes.map((c) => SYSTEM_REASONS[c]).find((f) => f !== undefined);
    if (reason) return new Pop3Error(error.code, `${reason(target)} (${codes.find((c) => SYSTEM_REASONS[c]) ?? ''})`, { cause: error });
  }
  if (error.code === 'POP3_CERT_UNTRUSTED') {
    const names = certificateNamesFromError(error);
    if (names) return new Pop3Error('POP3_CERT_UNTRUSTED', `${error.message}: ${names}`, { cause: error });
  }
  return error;
}

/** The message for implicit TLS (or STLS) meeting a port that answers in plain POP3. */
export function plaintextPortMessage(target: ConnectTarget): string {
  return target.tls === 'implicit'
    ? `${target.host}:${target.port} answered in plain text, not TLS: this port speaks plain POP3; use --tls starttls (tls.mode "starttls") on it, or port 995 for implicit TLS`
    : `${target.host}:${target.port} answered the TLS handshake in plain text`;
}

/** The message for STLS or plaintext meeting a port that expects TLS at once. */
export function implicitTlsPortMessage(target: ConnectTarget): string {
  return `${target.host}:${target.port} speaks TLS at once (implicit TLS) and sends no plain POP3 greeting: use --tls implicit (tls.mode "implicit") for this port, or port 110 for ${target.tls === 'starttls' ? 'STLS' : 'plain POP3'}`;
}

/**
 * "checked name X; the certificate holds DNS:a, DNS:b; SHA-256 fingerprint ..." from what Node
 * attaches to a host-name mismatch (ERR_TLS_CERT_ALTNAME_INVALID carries `host` and `cert`).
 */
function certificateNamesFromError(error: unknown): string | undefined {
  const mismatch = findCause(error, (e): e is { host?: unknown; cert?: { subjectaltname?: unknown; subject?: { CN?: unknown }; fingerprint256?: unknown } } =>
    (e as { code?: unknown }).code === 'ERR_TLS_CERT_ALTNAME_INVALID');
  if (!mismatch?.cert) return undefined;
  const held = typeof mismatch.cert.subjectaltname === 'string' ? mismatch.cert.subjectaltname : `CN=${String(mismatch.cert.subject?.CN ?? '?')}`;
  const fingerprint = typeof mismatch.cert.fingerprint256 === 'string' ? `; SHA-256 fingerprint ${mismatch.cert.fingerprint256}` : '';
  return `checked name ${String(mismatch.host ?? '?')}, the certificate holds ${held.slice(0, 300)}${fingerprint}`;
}
