/**
 * connectPop3: from nothing to an authenticated session, under ONE deadline (connect, TLS,
 * greeting, CAPA, STLS, CAPA again, authentication): openPop3, then login on the same
 * connection. See docs/session-lifecycle.md.
 */
import { resolveLimits } from './limits.js';
import { checkCredentials, openPop3 } from './open.js';
import type { Pop3ConnectOptions, Pop3Session } from './session-types.js';

/** Opens, secures and authenticates a POP3 session; the returned session is in TRANSACTION state. */
export async function connectPop3(options: Pop3ConnectOptions): Promise<Pop3Session> {
  // Bad limits or credentials are refused before anything is sent.
  resolveLimits(options.limits);
  checkCredentials(options.credentials);
  const opened = await openPop3(options);
  return opened.login(options.credentials);
}
