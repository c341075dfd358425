/**
 * Names the adapters turn into S3 keys and file names, checked here once even though the core
 * and config build them: defence in depth, so no name can climb out of its folder or prefix.
 */
import { isValidMailboxId } from '../sync/keys.js';
import { AdapterError } from './errors.js';

/** S3 allows 1024 UTF-8 bytes in a key. */
const MAX_KEY_BYTES = 1024;

/** Returns the id unchanged, or throws INVALID_KEY when it breaks the mailbox-id rule (sync/keys.ts). */
export function checkMailboxId(mailboxId: string): string {
  if (!isValidMailboxId(mailboxId)) {
    throw new AdapterError('INVALID_KEY', 'permanent', `invalid mailbox id ${JSON.stringify(mailboxId.slice(0, 64))}`);
  }
  return mailboxId;
}

/**
 * Returns an object key unchanged, or throws INVALID_KEY when it is empty, too long, holds
 * control characters, starts with '/' or has '.'/'..' segments (which some tools resolve).
 */
export function checkObjectKey(key: string): string {
  const bad =
    key.length === 0 || Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES || /[\u0000-\u001f\u007f]/.test(key) || key.startsWith('/') ||
    key.split('/').some((segment) => segment === '.' || segment === '..');
  if (bad) throw new AdapterError('INVALID_KEY', 'permanent', `invalid object key ${JSON.stringify(key.slice(0, 200))}`);
  return key;
}
