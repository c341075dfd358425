/**
 * The CLI's view of a mailbox's POP3 source: the same source the composition root builds, plus
 * what a user at a terminal needs when it fails: a port in the wrong TLS mode is found in
 * seconds, an untrusted certificate is described (names, fingerprint, pin), and the raw error is
 * kept so the summary can show the server's own text next to our explanation.
 */
import type { MailboxConfig } from '../config/schema.js';
import { Pop3Error } from '../pop3/index.js';
import type { MailboxSession, MailSource } from '../sync/ports.js';
import { describeCertificate, inspectCertificate, withImplicitTlsCheck } from './tls-probe.js';

/** Wraps `source`; `seen` gets each error open() ends with (after the wrapping). */
export function guideSource(source: MailSource, mailbox: MailboxConfig, seen: (error: unknown) => void): MailSource {
  const target = { host: mailbox.host, port: mailbox.port, tls: mailbox.tls.mode, ...(mailbox.tls.servername ? { servername: mailbox.tls.servername } : {}) };
  return {
    async open(signal?: AbortSignal): Promise<MailboxSession> {
      try {
        return await withImplicitTlsCheck(target, signal, (s) => source.open(s));
      } catch (error) {
        const explained = await withCertificate(error, mailbox);
        seen(explained);
        throw explained;
      }
    },
  };
}

/** An untrusted-certificate error, its message completed with what the certificate holds. */
export async function withCertificate(error: unknown, mailbox: MailboxConfig): Promise<unknown> {
  if (!(error instanceof Pop3Error) || error.code !== 'POP3_CERT_UNTRUSTED' || /the certificate holds/.test(error.message)) return error;
  const info = await inspectCertificate(mailbox);
  if (!info) return error;
  const described = describeCertificate(info, mailbox.tls.servername ?? mailbox.host);
  return new Pop3Error('POP3_CERT_UNTRUSTED', `${error.message}: ${described}`, { cause: error });
}
