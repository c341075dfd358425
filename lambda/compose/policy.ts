/**
 * Maps a validated mailbox configuration onto what the sync core consumes (MailboxPolicy),
 * for the Lambda handler and the CLI alike. The POP3 connect options are built in
 * connect-options.ts.
 */
import { createHash } from 'node:crypto';
import type { MailboxPolicy } from '../sync/types.js';
import type { MailboxConfig } from '../config/schema.js';

/** What an entry point may add for one run only (a CLI flag, not a configuration). */
export interface PolicyOverrides {
  /** Bring messages that were set aside back into this poll. */
  retryFailed?: boolean;
}

/** The sync core's view of a mailbox: what to fetch, when to delete, within which limits. */
export function toMailboxPolicy(m: MailboxConfig, overrides: PolicyOverrides = {}): MailboxPolicy {
  const policy: MailboxPolicy = {
    id: m.id,
    mode: m.mode,
    delete: m.delete,
    limits: { ...m.limits },
    keyPrefix: m.prefix,
    identity: mailboxIdentity(m.host, m.port, m.auth.user),
    maxAttempts: m.maxAttempts,
  };
  if (m.filter) policy.filter = { rules: m.filter.rules.map((r) => ({ ...r })), otherwise: m.filter.otherwise };
  if (m.acceptNewEpoch !== undefined) policy.acceptNewEpoch = m.acceptNewEpoch;
  if (m.acceptNewIdentity !== undefined) policy.acceptNewIdentity = m.acceptNewIdentity;
  if (overrides.retryFailed) policy.retryFailed = true;
  if (m.parse) policy.parse = { attachments: m.parse.attachments, ...(m.parse.maxBodyChars === undefined ? {} : { maxBodyChars: m.parse.maxBodyChars }) };
  return policy;
}

/**
 * Who a mailbox is: the first 16 hex digits of SHA-256 over the normalised host, the port and
 * the user. Host names are case-insensitive (RFC 4343) and a trailing dot or IPv6 brackets do
 * not change the server, so those are normalised; `localhost` and `127.0.0.1` stay different
 * spellings on purpose (no DNS here): the sync core refuses the change until it is accepted.
 */
export function mailboxIdentity(host: string, port: number, user: string): string {
  const normalised = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  return createHash('sha256').update(`${normalised}\n${port}\n${user}`).digest('hex').slice(0, 16);
}
