/**
 * A MailSource decorator that shows every error the mail source raises to an observer, before
 * the sync core classifies it. The handler uses it to count POP3 response codes (RFC 2449
 * section 8, RFC 3206: IN-USE, LOGIN-DELAY, SYS/TEMP, AUTH...), which the summary does not carry.
 */
import type { FetchRequest, FetchedMessage, KnownUids, MailboxSession, MailSource } from '../sync/ports.js';

/** The RFC 2449 / RFC 3206 response code an error of the mail source carries (IN-USE, SYS/TEMP...), if any. */
export function responseCodeOf(error: unknown): string | undefined {
  const code = (error as { responseCode?: unknown } | null)?.responseCode;
  return typeof code === 'string' && code !== '' ? code : undefined;
}

/** Called with each error the source or its session throws; must not throw. */
export type SourceErrorObserver = (error: unknown) => void;

/** Wraps `source` so `observe` sees every error of open() and of the session's calls. */
export function observeMailSource(source: MailSource, observe: SourceErrorObserver): MailSource {
  return {
    async open(signal?: AbortSignal): Promise<MailboxSession> {
      const session = await tap(source.open(signal), observe);
      return observeSession(session, observe);
    },
  };
}

function observeSession(session: MailboxSession, observe: SourceErrorObserver): MailboxSession {
  return {
    get capabilities() {
      return session.capabilities;
    },
    listMessages: (known?: KnownUids) => tap(session.listMessages(known), observe),
    fetch: (requests: Iterable<FetchRequest>) => tapIterable(session.fetch(requests), observe),
    markDeleted: (msgs: readonly number[]) => tap(session.markDeleted(msgs), observe),
    quit: () => tap(session.quit(), observe),
    abort: (reason?: unknown) => session.abort(reason),
  };
}

async function tap<T>(promise: Promise<T>, observe: SourceErrorObserver): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    safely(observe, error);
    throw error;
  }
}

async function* tapIterable(iterable: AsyncIterable<FetchedMessage>, observe: SourceErrorObserver): AsyncGenerator<FetchedMessage> {
  try {
    yield* iterable;
  } catch (error) {
    safely(observe, error);
    throw error;
  }
}

function safely(observe: SourceErrorObserver, error: unknown): void {
  try {
    observe(error);
  } catch {
    // An observer bug must never change the poll's outcome.
  }
}
