/**
 * What pop3-ingest knows of public providers before it ever connects, so the CDK construct can
 * warn at synth. One home for these facts; docs/providers.md explains them.
 */
import type { MailboxConfig } from './schema.js';

/**
 * RFC 2449 LOGIN-DELAY (seconds) that providers advertise, by POP3 host. Gmail answers CAPA with
 * `LOGIN-DELAY 300` and `EXPIRE 0` (docs/providers.md).
 */
export const KNOWN_LOGIN_DELAY_SECONDS: Readonly<Record<string, number>> = {
  'pop.gmail.com': 300,
  'pop.googlemail.com': 300,
};

/** The LOGIN-DELAY a mailbox is known to have: its `loginDelaySeconds`, else its host's preset. */
export function knownLoginDelaySeconds(m: Pick<MailboxConfig, 'host'> & { loginDelaySeconds?: number | undefined }): number | undefined {
  if (m.loginDelaySeconds !== undefined) return m.loginDelaySeconds;
  return KNOWN_LOGIN_DELAY_SECONDS[m.host.trim().toLowerCase().replace(/\.$/, '')];
}
