import { describe, expect, it } from 'vitest';
import { connectPop3 } from '../../lambda/pop3/index.js';
import { fakeServerPerTest, plainOptions } from './helpers.js';

describe('a SASL initial response too long for one AUTH line (RFC 5034 section 4: 255 octets)', () => {
  const startServer = fakeServerPerTest();

  it('is sent after an empty "+ " continuation instead of on the AUTH line', async () => {
    // Prepare: a 300-character password makes the PLAIN response alone exceed 255 octets
    const password = 'p'.repeat(300);
    const server = await startServer({ password });

    // Act
    const session = await connectPop3(plainOptions(server, { authMethods: ['PLAIN'], credentials: { user: 'alice', password } }));
    await session.quit();

    // Assess
    const auth = server.commands.indexOf('AUTH PLAIN');
    expect(auth).toBeGreaterThan(-1);
    expect(Buffer.from(server.commands[auth + 1] ?? '', 'base64').toString()).toBe(`\0alice\0${password}`);
  });

  it('a short one rides on the AUTH line itself (one round trip)', async () => {
    const server = await startServer();

    const session = await connectPop3(plainOptions(server, { authMethods: ['PLAIN'] }));
    await session.quit();

    const line = server.commands.find((c) => c.startsWith('AUTH PLAIN '));
    expect(line).toBe(`AUTH PLAIN ${Buffer.from('\0alice\0secret').toString('base64')}`);
    expect(line!.length + 2).toBeLessThanOrEqual(255);
  });
});
