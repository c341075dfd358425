/**
 * Threat: a token endpoint (or something impersonating it on the path) answers with an endless
 * body; reading it whole before JSON.parse would exhaust memory. The read stops past 64 KiB.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuthTokenProvider } from '../../lambda/adapters/oauth/token-provider.js';
import { Secret } from '../../lambda/adapters/secrets/secret.js';
import type { SecretProvider, SecretValue } from '../../lambda/adapters/secrets/types.js';

let server: Server;
let tokenUrl: string;
let sentBytes = 0;

beforeAll(async () => {
  // Streams a JSON-looking body without end (chunked, no content-length) until the client goes away.
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"access_token":"');
      const chunk = 'a'.repeat(64 * 1024);
      const pump = (): void => {
        while (!res.destroyed && sentBytes < 512 * 1024 * 1024) {
          sentBytes += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end('"}');
      };
      res.on('close', () => undefined);
      pump();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const secrets: SecretProvider = {
  get: async (): Promise<SecretValue> => ({ clientId: new Secret('cid'), clientSecret: new Secret('csec') }),
  invalidate: () => undefined,
  update: async () => false,
};

describe('a token endpoint reply without end', () => {
  it('is refused after 64 KiB, never read whole', async () => {
    // Prepare
    const tokens = new OAuthTokenProvider({ secrets });

    // Act
    const error = await tokens.getAccessToken({ secretsManager: 'm' }, { provider: 'custom', grant: 'client_credentials', tokenUrl, scope: 's' })
      .then(() => undefined, (e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ code: 'OAUTH_RESPONSE_INVALID' });
    expect((error as Error).message).toContain('more than 65536 bytes');
    // The client stopped reading long before the server's 512 MiB (socket buffers allow a few MiB).
    expect(sentBytes).toBeLessThan(64 * 1024 * 1024);
  });
});
