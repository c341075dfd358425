/**
 * `check`'s look at a server before login, through the engine's own open step (greeting, CAPA,
 * STLS, CAPA again): the same dialogue, the same STLS and APOP rules as a poll. No credential is
 * sent until the caller logs in on the returned session.
 */
import { isPop3Error, openPop3, Pop3Error, type Pop3OpenOptions, type Pop3PreAuthSession } from '../../pop3/index.js';

/** Opens up to login; when `signal` ends the wait, the error is POP3_TIMEOUT naming host:port. */
export async function openBeforeLogin(options: Pop3OpenOptions & { port: number }, signal: AbortSignal): Promise<Pop3PreAuthSession> {
  try {
    return await openPop3({ ...options, signal });
  } catch (error) {
    // check's signal is its --timeout: to the user the server did not answer in time.
    if (signal.aborted && !(isPop3Error(error) && error.code === 'POP3_TIMEOUT')) {
      throw new Pop3Error('POP3_TIMEOUT', `no complete answer from ${options.host}:${options.port} in time`, { cause: error });
    }
    throw error;
  }
}
