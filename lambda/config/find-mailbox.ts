/**
 * Picking one mailbox of a validated configuration by id. Apart from schema.ts so a command that
 * only selects a mailbox does not import zod.
 */
import { ConfigError } from './errors.js';
import type { Config, MailboxConfig } from './schema.js';

/** Finds a mailbox by id, or throws ConfigError MAILBOX_UNKNOWN naming the ids that exist. */
export function findMailbox(config: Config, id: string): MailboxConfig {
  const found = config.mailboxes.find((m) => m.id === id);
  if (found) return found;
  const known = config.mailboxes.map((m) => m.id).join(', ');
  throw new ConfigError('MAILBOX_UNKNOWN', `No mailbox "${escapeForMessage(id)}" in the configuration (configured: ${known})`);
}

function escapeForMessage(value: string): string {
  return JSON.stringify(value.slice(0, 80)).slice(1, -1);
}
