/**
 * Shared pieces of the session tests: connect options for the fake server and a body reader.
 */
import type { Pop3ConnectOptions } from '../../lambda/pop3/index.js';
import type { FakeServer } from '../support/fake-pop3-server.js';

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

/** Reads a body stream to one Buffer. */
export async function readAll(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of body) parts.push(Buffer.from(part));
  return Buffer.concat(parts);
}

/** Resolves with the rejection of `promise` (fails if it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
