/**
 * Maps a validated mailbox configuration onto what the sync core consumes (MailboxPolicy).
 * The POP3 connect options are built in connect-options.ts.
 */
import type { MailboxPolicy } from '../sync/types.js';
import type { MailboxConfig } from './schema.js';

/** The sync core's view of a mailbox: what to fetch, when to delete, within which limits. */
export function toMailboxPolicy(m: MailboxConfig): MailboxPolicy {
  const policy: MailboxPolicy = {
    id: m.id,
    mode: m.mode,
    delete: m.delete,
    limits: { ...m.limits },
    keyPrefix: m.prefix,
  };
  if (m.filter) policy.filter = { rules: m.filter.rules.map((r) => ({ ...r })), otherwise: m.filter.otherwise };
  if (m.acceptNewEpoch !== undefined) policy.acceptNewEpoch = m.acceptNewEpoch;
  return policy;
}
