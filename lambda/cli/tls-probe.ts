/**
 * Two short, read-only looks at a server that the POP3 session cannot give: whether a port
 * speaks TLS at once (so `--tls starttls` against port 995 fails in seconds, not at the 30 s
 * handshake deadline), and which certificate a server presents when verification refuses it
 * (so the user sees its names, fingerprint and pin). Neither sends a POP3 command beyond CAPA,
 * STLS and QUIT, and neither ever sends a credential.
 */
import tls from 'node:tls';
import type { MailboxConfig } from '../config/schema.js';
import { implicitTlsPortMessage, type ConnectTarget } from '../compose/connect-errors.js';
import { ConfigError } from '../config/errors.js';
import type { TlsInfo } from '../pop3/index.js';
import { openBeforeLogin } from './check/open-before-login.js';

/** A POP3 server greets at once; this much silence before the greeting is worth a TLS probe. */
export const GREETING_SILENCE_MS = 2_000;
const PROBE_TIMEOUT_MS = 5_000;

/**
 * True when host:port completes (or starts answering) a TLS handshake: a port for implicit TLS.
 * A plaintext server answers a ClientHello with its "+OK" greeting, which is not a TLS record.
 */
export function speaksTlsAtOnce(target: ConnectTarget, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    const servername = target.servername ?? (/^[\d.:]+$/.test(target.host) ? undefined : target.host);
    // Only looking: the handshake is ended as soon as it succeeds; nothing is sent over it.
    const socket = tls.connect({ host: target.host, port: target.port, rejectUnauthorized: false, ...(servername ? { servername } : {}) });
    const done = (answer: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('secureConnect', () => done(true));
    // A TLS alert from the server (version, cipher) still proves it speaks TLS.
    socket.once('error', (error: Error & { code?: string }) => done(/^ERR_SSL_(TLSV1_ALERT|SSLV3_ALERT)/.test(error.code ?? '')));
  });
}

/**
 * Runs `open` (which reads the greeting) and, when the port stays silent for a while in
 * starttls/none mode, probes it for implicit TLS; on a TLS port `open` is aborted and a
 * ConfigError CONFIG_TLS_MISMATCH (exit 2) says which mode to use.
 */
export async function withImplicitTlsCheck<T>(
  target: ConnectTarget,
  signal: AbortSignal | undefined,
  open: (signal: AbortSignal) => Promise<T>,
  silenceMs = GREETING_SILENCE_MS,
): Promise<T> {
  const local = new AbortController();
  // The caller's abort (Ctrl-C) reaches `open` too (by hand: AbortSignal.any needs Node 20.3).
  // The listener stays for the session's whole life: the opened session watches `linked`, so a
  // Ctrl-C after login must still reach it (it drops the session without QUIT).
  const onAbort = (): void => local.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  const linked = local.signal;
  if (target.tls === 'implicit') return open(linked);
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  const opening = open(linked).finally(() => {
    settled = true;
    clearTimeout(timer);
  });
  const mismatch = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void speaksTlsAtOnce(target).then((isTls) => {
        if (!isTls || settled) return;
        const error = new ConfigError('CONFIG_TLS_MISMATCH', implicitTlsPortMessage(target), [{ path: 'tls.mode', message: 'this port speaks implicit TLS' }]);
        local.abort(error);
        reject(error);
      });
    }, silenceMs);
  });
  mismatch.catch(() => undefined);
  opening.catch(() => undefined);
  return Promise.race([opening, mismatch]);
}

/**
 * The certificate `mailbox`'s server presents, read WITHOUT verifying it (to show it when
 * verification failed); undefined when it cannot be read. No credential is ever sent.
 */
export async function inspectCertificate(mailbox: MailboxConfig, timeoutMs = PROBE_TIMEOUT_MS): Promise<TlsInfo | undefined> {
  if (mailbox.tls.mode === 'none') return undefined;
  try {
    const opened = await openBeforeLogin(
      {
        host: mailbox.host,
        port: mailbox.port,
        tls: mailbox.tls.mode,
        minVersion: mailbox.tls.minVersion,
        ...(mailbox.tls.servername === undefined ? {} : { servername: mailbox.tls.servername }),
        insecureSkipVerify: true,
      },
      AbortSignal.timeout(timeoutMs),
    );
    await opened.quit();
    return opened.tlsInfo;
  } catch {
    return undefined;
  }
}

/** "checked name X; the certificate holds ...; SHA-256 fingerprint ...; pin sha256//..." */
export function describeCertificate(info: TlsInfo, checkedName: string): string {
  const names = info.subjectAltName ?? `subject ${info.subject}`;
  return `checked name ${checkedName}; the certificate holds ${names.slice(0, 300)} (issuer ${info.issuer.slice(0, 200)}); SHA-256 fingerprint ${info.fingerprint256}; key pin ${info.publicKeyPin}`;
}
