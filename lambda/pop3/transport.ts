/**
 * TCP and TLS for POP3: implicit TLS (port 995, the default), STLS upgrade (RFC 2595) and
 * plaintext only when chosen explicitly. Certificates are always verified; an optional
 * SHA-256 public-key pin (curl --pinnedpubkey "sha256//...") is checked before any command.
 */
import { createHash, type X509Certificate } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { Pop3Error } from './errors.js';

/** How the session is protected: implicit TLS (default), STLS upgrade, or none (explicit opt-in). */
export type Pop3TlsMode = 'implicit' | 'starttls' | 'none';

/** TLS settings. There is no switch to skip verification except the loudly named one. */
export interface Pop3TlsOptions {
  /** Extra trusted CA certificate(s), PEM. The system store is used when absent. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** SNI and certificate name to verify; defaults to the host (no SNI for IP addresses). */
  servername?: string;
  /** Minimum protocol version; default TLSv1.2. */
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** SHA-256 pin(s) of the server's SubjectPublicKeyInfo, base64, optionally "sha256//" prefixed. */
  pinnedPublicKey?: string | readonly string[];
  /**
   * DANGER: accepts ANY certificate, so anyone on the path can read the password and the mail.
   * Only for lab servers; a pin, when set, is still enforced. Never set this in production.
   */
  insecureSkipVerify?: boolean;
}

/** What the CLI's `check` shows about the TLS session. */
export interface TlsInfo {
  protocol: string;
  cipher: string;
  subject: string;
  issuer: string;
  /** The names the certificate holds ("DNS:a, IP Address:127.0.0.1"), when it has the extension. */
  subjectAltName?: string;
  validFrom: string;
  validTo: string;
  fingerprint256: string;
  /** "sha256//<base64>" of the peer's public key: paste it into pinnedPublicKey. */
  publicKeyPin: string;
  /** True when the chain was verified (always, unless insecureSkipVerify). */
  authorized: boolean;
}

/** Node's certificate-verification error codes: the certificate, not the link, is at fault. */
const CERT_ERROR_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'CERT_REVOKED', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'CERT_SIGNATURE_FAILURE', 'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH', 'INVALID_CA', 'PATH_LENGTH_EXCEEDED', 'INVALID_PURPOSE',
]);

/** Opens a TCP connection (no TLS). */
export function connectTcp(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const onError = (error: Error): void => {
      socket.destroy();
      reject(new Pop3Error('POP3_CONNECT_FAILED', `cannot connect to ${host}:${port}`, { cause: error }));
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}

/**
 * Starts TLS: over a fresh TCP connection (implicit) or over `socket` (after STLS). Resolves
 * once the handshake succeeded, the certificate was verified and the pin (if any) matched.
 */
export function connectTls(
  host: string,
  port: number,
  options: Pop3TlsOptions,
  socket?: net.Socket,
): Promise<{ socket: tls.TLSSocket; info: TlsInfo }> {
  return new Promise((resolve, reject) => {
    const servername = options.servername ?? (net.isIP(host) === 0 ? host : undefined);
    const secure = tls.connect({
      ...(socket === undefined ? { host, port } : { socket, host }),
      ...(servername === undefined ? {} : { servername }),
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      minVersion: options.minVersion ?? 'TLSv1.2',
      rejectUnauthorized: options.insecureSkipVerify !== true,
    });
    const onError = (error: Error): void => {
      secure.destroy();
      reject(mapTlsError(error, host, port));
    };
    const onClose = (): void => onError(Object.assign(new Error('connection closed during the TLS handshake'), { code: 'ECONNRESET' }));
    secure.once('error', onError);
    secure.once('close', onClose);
    secure.once('secureConnect', () => {
      secure.off('error', onError);
      secure.off('close', onClose);
      try {
        const info = describeTls(secure);
        checkPin(info.publicKeyPin, options.pinnedPublicKey);
        secure.setNoDelay(true);
        resolve({ socket: secure, info });
      } catch (error) {
        secure.destroy();
        reject(error);
      }
    });
  });
}

/** "sha256//" + base64(SHA-256(DER SubjectPublicKeyInfo)), as curl's --pinnedpubkey. */
export function publicKeyPin(certificate: X509Certificate): string {
  const spki = certificate.publicKey.export({ type: 'spki', format: 'der' });
  return `sha256//${createHash('sha256').update(spki).digest('base64')}`;
}

/** Throws POP3_CERT_PIN_MISMATCH unless `actual` is one of the pins (none given: no check). */
export function checkPin(actual: string, pins: string | readonly string[] | undefined): void {
  if (pins === undefined) return;
  const list = (typeof pins === 'string' ? [pins] : [...pins]).map((p) => p.trim().replace(/^sha256\/\//i, ''));
  if (list.length === 0) return;
  const got = actual.replace(/^sha256\/\//, '');
  if (!list.includes(got)) {
    throw new Pop3Error('POP3_CERT_PIN_MISMATCH', `server public key ${actual} matches no configured pin`);
  }
}

function describeTls(socket: tls.TLSSocket): TlsInfo {
  const x509 = socket.getPeerX509Certificate();
  if (x509 === undefined) throw new Pop3Error('POP3_TLS_FAILED', 'server presented no certificate');
  const cipher = socket.getCipher();
  return {
    protocol: socket.getProtocol() ?? 'unknown',
    cipher: cipher.standardName ?? cipher.name,
    subject: x509.subject.replace(/\n/g, ', '),
    issuer: x509.issuer.replace(/\n/g, ', '),
    ...(x509.subjectAltName === undefined ? {} : { subjectAltName: x509.subjectAltName }),
    validFrom: x509.validFrom,
    validTo: x509.validTo,
    fingerprint256: x509.fingerprint256,
    publicKeyPin: publicKeyPin(x509),
    authorized: socket.authorized,
  };
}

function mapTlsError(error: Error, host: string, port: number): Pop3Error {
  const code = (error as { code?: string }).code ?? '';
  if (CERT_ERROR_CODES.has(code)) {
    return new Pop3Error('POP3_CERT_UNTRUSTED', `certificate of ${host}:${port} not trusted (${code})`, { cause: error });
  }
  if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS')) {
    return new Pop3Error('POP3_TLS_FAILED', `TLS handshake with ${host}:${port} failed (${code})`, { cause: error });
  }
  return new Pop3Error('POP3_CONNECT_FAILED', `connection to ${host}:${port} failed during TLS (${code || error.message})`, {
    cause: error,
  });
}
