/**
 * Shared pieces of the session tests: fake servers closed after each test, connect options for
 * them, and (from test/support/async-results.ts) a body reader and a rejection catcher.
 */
import { afterEach } from 'vitest';
import type { Pop3ConnectOptions } from '../../lambda/pop3/index.js';
import { startFakePop3Server, type FakeServer, type FakeServerOptions } from '../support/fake-pop3-server.js';

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

/**
 * Registers an afterEach (in the enclosing describe) that closes every fake server started
 * through the returned function, even when the test failed.
 */
export function fakeServerPerTest(): (options?: FakeServerOptions) => Promise<FakeServer> {
  const started: FakeServer[] = [];
  afterEach(async () => {
    for (const server of started.splice(0)) await server.close();
  });
  return async (options) => {
    const server = await startFakePop3Server(options);
    started.push(server);
    return server;
  };
}
