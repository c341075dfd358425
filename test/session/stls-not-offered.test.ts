import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPop3, Pop3Error } from '../../lambda/pop3/index.js';
import { startFakePop3Server, type FakeServer } from '../support/fake-pop3-server.js';
import { rejectionOf } from './helpers.js';

describe('STLS not offered (a stripping attacker removed it from CAPA)', () => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await startFakePop3Server({ capabilities: ['USER', 'UIDL', 'SASL PLAIN'] });
  });
  afterAll(async () => {
    await server.close();
  });

  it('fails closed without trying: no STLS, no credentials in plaintext', async () => {
    const error = await rejectionOf(connectPop3({
      host: server.host, port: server.port, tls: 'starttls', credentials: { user: 'alice', password: 'secret' },
    }));

    expect((error as Pop3Error).code).toBe('POP3_STLS_UNAVAILABLE');
    expect(server.commands).toEqual(['CAPA']);
  });
});
