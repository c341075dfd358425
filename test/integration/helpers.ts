/**
 * Shared pieces of the Dovecot interop tests: connect options for a private Dovecot and a
 * body reader. The options are secure by default: implicit TLS, trusting only the test CA.
 */
import type { Pop3ConnectOptions } from '../../lambda/pop3/index.js';
import type { DovecotServer } from '../support/dovecot.js';

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

/** Reads a body stream to one Buffer. */
export async function readAll(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of body) parts.push(Buffer.from(part));
  return Buffer.concat(parts);
}

/** Resolves with the rejection of `promise` (fails the test if it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Dovecot's own record of how the last login of `user` authenticated (its "method=" field). */
export function loginMethods(server: DovecotServer, user: string): string[] {
  const pattern = new RegExp(`Login: user=<${user}>, method=([A-Z0-9-]+)`, 'g');
  return [...server.logs().matchAll(pattern)].map((m) => m[1] ?? '');
}
