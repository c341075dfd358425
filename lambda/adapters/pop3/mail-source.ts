/**
 * The sync core's MailSource over the POP3 engine: open = connect + secure + login, then
 * listMessages (UIDL and LIST, pipelined, joined by message number), a pipelined fetch,
 * pipelined DELE, QUIT and abort.
 */
import { connectPop3, Pop3Error, type Pop3ConnectOptions, type Pop3FetchOptions, type Pop3Session } from '../../pop3/index.js';
import { IngestError } from '../../shared/errors.js';
import {
  MESSAGE_FAULT, type FetchedMessage, type FetchRequest, type KnownUids, type Listing, type MailboxCapabilities, type MailboxSession,
  type MailSource, type RejectedListing,
} from '../../sync/ports.js';
import { listingOf, offerTo } from './column-listing.js';

/**
 * One message broke an engine limit (a real size past maxMessageSize); the engine has read the
 * rest of it off the wire, so the session goes on: the sync core counts a failed attempt.
 */
const FETCH_OPTIONS: Pop3FetchOptions = {
  messageFault: (error) => new IngestError(MESSAGE_FAULT, error.category, error.message, { cause: error, retryable: false }),
};

/** A MailSource that opens one POP3 session per call to open(). */
export function createPop3MailSource(options: Pop3ConnectOptions): MailSource {
  return {
    async open(signal?: AbortSignal): Promise<MailboxSession> {
      const session = await connectPop3(signal === undefined ? options : { ...options, signal });
      const caps = session.capabilities;
      if (caps.capaSupported && !caps.uidl) {
        session.abort();
        throw new Pop3Error('POP3_UNSUPPORTED', 'server does not support UIDL (RFC 1939 section 7): new messages cannot be told apart from old ones');
      }
      return new Pop3MailboxSession(session);
    },
  };
}

class Pop3MailboxSession implements MailboxSession {
  readonly capabilities: MailboxCapabilities;

  constructor(private readonly session: Pop3Session) {
    const caps = session.capabilities;
    this.capabilities = {
      pipelining: caps.pipelining,
      // A server without CAPA may still answer UIDL; listMessages finds out.
      uidl: caps.uidl || !caps.capaSupported,
      top: caps.top || !caps.capaSupported,
      ...(caps.expire === undefined ? {} : { expire: caps.expire }),
      ...(caps.loginDelaySeconds === undefined ? {} : { loginDelaySeconds: caps.loginDelaySeconds }),
    };
  }

  async listMessages(known?: KnownUids): Promise<{ listing: Listing; rejected: RejectedListing[] }> {
    // Both sent at once when the server pipelines; LIST failing must not leave UIDL unobserved.
    // LIST first: a UID the sync core knows is offered to it with its size while UIDL streams.
    const pending = known === undefined ? { uidl: this.session.uidl(), sizes: this.session.listSizes() } : this.session.listThenUidl(offerTo(known));
    const [uidl, list] = await Promise.allSettled([pending.uidl, pending.sizes]);
    if (uidl.status === 'rejected') {
      const error = uidl.reason as unknown;
      if (error instanceof Pop3Error && error.code === 'POP3_UNSUPPORTED') {
        throw new Pop3Error('POP3_UNSUPPORTED', 'server refused UIDL: new messages cannot be told apart from old ones', {
          cause: error, ...(error.serverText === undefined ? {} : { serverText: error.serverText }),
        });
      }
      throw error;
    }
    if (list.status === 'rejected') throw list.reason;
    // The engine's columns, joined: no object or string per message (issue 15).
    return listingOf(uidl.value, list.value, known);
  }

  fetch(requests: Iterable<FetchRequest>): AsyncIterable<FetchedMessage> {
    // The engine's items already have the port's shape ({ msg, kind, body, refused }): handing
    // its iterator through saves a second async generator (two promises) per message. Break and
    // errors reach the engine's iterator directly, which withdraws or drains what is in flight.
    return this.session.fetch(requests, FETCH_OPTIONS);
  }

  markDeleted(msgs: readonly number[]): Promise<void> {
    return this.session.deleMany(msgs);
  }

  quit(): Promise<void> {
    return this.session.quit();
  }

  abort(reason?: unknown): void {
    this.session.abort(reason);
  }
}
