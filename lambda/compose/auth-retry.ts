/**
 * Whether a poll that failed to authenticate may log in once more: the rule the handler uses
 * (compose/poll-mailboxes.ts `retryAuth`). A second login with the same password only brings an
 * account lockout closer; a fresh OAuth2 token, or a secret that really changed, can succeed.
 */
import type { OAuthTokenProvider } from '../adapters/oauth/token-provider.js';
import type { Secret } from '../adapters/secrets/secret.js';
import type { SecretProvider } from '../adapters/secrets/types.js';
import type { MailboxConfig } from '../config/schema.js';
import type { Logger } from '../sync/ports.js';

/** Invalidates the cached secret (and OAuth2 token) and says whether a second login can differ. */
export function retryAuthWhenChanged(secrets: SecretProvider, oauth: OAuthTokenProvider): (m: MailboxConfig, logger: Logger) => Promise<boolean> {
  return async (m, logger) => {
    const ref = m.auth.secret;
    if (m.auth.oauth2 !== undefined) {
      oauth.invalidate(ref);
      return true;
    }
    const before = await secrets.get(ref).catch(() => undefined);
    secrets.invalidate(ref);
    const after = await secrets.get(ref).catch(() => undefined);
    if (after === undefined) return false;
    if (before !== undefined && same(before.password, after.password) && same(before.accessToken, after.accessToken)) {
      logger.info('secret unchanged after re-reading it: not retrying the login (account lockout risk)');
      return false;
    }
    return true;
  };
}

function same(a: Secret | undefined, b: Secret | undefined): boolean {
  return a === undefined ? b === undefined : a.equals(b);
}
