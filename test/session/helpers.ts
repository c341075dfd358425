/**
 * Shared pieces of the session tests: connect options for the fake server, and (from
 * test/support/async-results.ts) a body reader and a rejection catcher.
 */
import type { Pop3ConnectOptions } from '../../lambda/pop3/index.js';
import type { FakeServer } from '../support/fake-pop3-server.js';

export { readAll, rejectionOf } from '../support/async-results.js';

/** Plaintext connect options for a fake server (explicit opt-in to insecure auth). */
export function plainOptions(server: FakeServer, extra: Partial<Pop3ConnectOptions> = {}): Pop3ConnectOptions {
  return {
    host: server.host,
    port: server.port,
    tls: 'none',
    allowInsecureAuth: true,
    credentials: { user: 'alice', password: 'secret' },
    ...extra,
  };
}
