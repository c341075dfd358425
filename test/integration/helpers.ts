/**
 * Shared pieces of the Dovecot interop tests: connect options for a private Dovecot, and (from
 * test/support/async-results.ts) a body reader and a rejection catcher. The options are secure
 * by default: implicit TLS, trusting only the test CA.
 */
import { createPop3MailSource } from '../../lambda/adapters/pop3/mail-source.js';
import type { Pop3ConnectOptions } from '../../lambda/pop3/index.js';
import type { DovecotServer } from '../support/dovecot.js';
import { MemoryWorld } from '../support/memory-ports.js';

export { readAll, rejectionOf } from '../support/async-results.js';

/** Implicit-TLS options for `user` of the server (default the first test user), verified against the test CA. */
export function tlsOptions(server: DovecotServer, extra: Partial<Pop3ConnectOptions> = {}, user?: string): Pop3ConnectOptions {
  const account = server.users.find((u) => u.user === (user ?? server.users[0]?.user));
  if (!account) throw new Error(`no test user ${user}`);
  return {
    host: server.host,
    port: server.pop3sPort,
    tls: 'implicit',
    ca: server.ca,
    credentials: { user: account.user, password: account.password },
    ...extra,
  };
}

/** STLS options on the realistic plain port (Dovecot sees a remote client). */
export function starttlsOptions(server: DovecotServer, extra: Partial<Pop3ConnectOptions> = {}, user?: string): Pop3ConnectOptions {
  return tlsOptions(server, { port: server.pop3Port, tls: 'starttls', ...extra }, user);
}

/** Dovecot's own record of how the last login of `user` authenticated (its "method=" field). */
export function loginMethods(server: DovecotServer, user: string): string[] {
  const pattern = new RegExp(`Login: user=<${user}>, method=([A-Z0-9-]+)`, 'g');
  return [...server.logs().matchAll(pattern)].map((m) => m[1] ?? '');
}

/** A memory world (stores, state, publisher) whose mail source is `server`'s mailbox of `user`. */
export function dovecotWorld(server: DovecotServer, user: string): MemoryWorld {
  const world = new MemoryWorld();
  Object.assign(world, { source: createPop3MailSource(tlsOptions(server, {}, user)) });
  return world;
}
