/**
 * LOGIN-DELAY (RFC 2449 section 6.5), as Gmail advertises it (`LOGIN-DELAY 300`): a poll sooner
 * than the delay after the last login is skipped as busy WITHOUT connecting (the fake server
 * sees no second connection), and says when it may run; once the delay has passed it polls
 * again. A fake server, because Dovecot does not enforce LOGIN-DELAY.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createPop3MailSource } from '../../lambda/adapters/pop3/mail-source.js';
import { connectPop3 } from '../../lambda/pop3/index.js';
import { pollMailbox } from '../../lambda/sync/poll.js';
import { seedMailbox } from '../../lambda/sync/seed.js';
import { StateKeeper } from '../../lambda/sync/checkpoint.js';
import { loginRecord } from '../../lambda/sync/login-delay.js';
import type { MailboxPolicy } from '../../lambda/sync/types.js';
import { startFakePop3Server, type FakeServer, type FakeServerOptions } from '../support/fake-pop3-server.js';
import { MemoryWorld, mailText } from '../support/memory-ports.js';

const policy: MailboxPolicy = { id: 'gmail', mode: 'full', delete: { kind: 'never' }, limits: {} };
const GMAIL_CAPA = ['USER', 'UIDL', 'TOP', 'PIPELINING', 'SASL PLAIN', 'EXPIRE 0', 'LOGIN-DELAY 300'];

const servers: FakeServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function fake(options: FakeServerOptions): Promise<FakeServer> {
  const server = await startFakePop3Server(options);
  servers.push(server);
  return server;
}

function worldOn(server: FakeServer): MemoryWorld {
  const world = new MemoryWorld();
  const source = createPop3MailSource({ host: server.host, port: server.port, tls: 'none', allowInsecureAuth: true, credentials: { user: 'alice', password: 'secret' } });
  Object.assign(world, { source });
  return world;
}

describe('LOGIN-DELAY', () => {
  it('a second poll within 300 s is busy without a connection, and says when it may run', async () => {
    // Prepare
    const server = await fake({ capabilities: GMAIL_CAPA, messages: [{ uid: 'm1', body: mailText(1) }] });
    const world = worldOn(server);
    const first = await pollMailbox(policy, world.deps());
    const loginAt = world.clock.now();
    world.clock.advance(120_000);
    // Act
    const early = await pollMailbox(policy, world.deps());
    // Assess
    expect(first).toMatchObject({ status: 'ok', stored: 1 });
    expect(early).toMatchObject({ status: 'busy', error: { code: 'SYNC_LOGIN_DELAY', category: 'throttled' } });
    expect(early.error?.message).toContain(new Date(loginAt.getTime() + 300_000).toISOString());
    expect(server.connections).toBe(1);
    const state = (await StateKeeper.load(world.state, world.clock, 'gmail')).state;
    expect(loginRecord(state)).toEqual({ loginDelaySeconds: 300, lastLoginAt: loginAt.toISOString() });
  });

  it('an idle poll records its login too, and the poll after the delay connects again', async () => {
    // Prepare: nothing on the server, so the polls are idle (no lease, no other write)
    const server = await fake({ capabilities: GMAIL_CAPA, messages: [] });
    const world = worldOn(server);
    await pollMailbox(policy, world.deps());
    world.clock.advance(299_000);
    const early = await pollMailbox(policy, world.deps());
    world.clock.advance(1_000);
    // Act
    const onTime = await pollMailbox(policy, world.deps());
    // Assess
    expect(early.status).toBe('busy');
    expect(onTime.status).toBe('ok');
    expect(server.connections).toBe(2);
  });

  it('a server without LOGIN-DELAY never holds a poll back, and its idle polls write nothing', async () => {
    // Prepare
    const server = await fake({ messages: [] });
    const world = worldOn(server);
    // Act
    await pollMailbox(policy, world.deps());
    const second = await pollMailbox(policy, world.deps());
    // Assess
    expect(second.status).toBe('ok');
    expect(server.connections).toBe(2);
    expect(world.state.writes).toBe(0);
  });

  it('a seed honours LOGIN-DELAY like a poll', async () => {
    // Prepare
    const server = await fake({ capabilities: GMAIL_CAPA, messages: [{ uid: 'm1', body: mailText(1) }] });
    const world = worldOn(server);
    await pollMailbox(policy, world.deps());
    // Act
    const seed = await seedMailbox(policy, world.deps());
    // Assess
    expect(seed).toMatchObject({ status: 'busy', error: { code: 'SYNC_LOGIN_DELAY' } });
    expect(server.connections).toBe(1);
  });

  it('the post-login LOGIN-DELAY wins over the pre-login one; a pre-login one alone still counts', async () => {
    // Prepare: RFC 2449 section 6.5, a maximum before login, this user's value after
    const capa = (before: string[], after: string[]): FakeServerOptions['handler'] => (connection, line) => {
      if (line !== 'CAPA') return false;
      const list = ['USER', 'UIDL', 'TOP', ...(connection.user === undefined ? before : after)];
      connection.multiline('+OK capabilities follow', list.map((c) => `${c}\r\n`).join(''));
      return true;
    };
    const both = await fake({ handler: capa(['LOGIN-DELAY 900'], ['LOGIN-DELAY 300']) });
    const preOnly = await fake({ handler: capa(['LOGIN-DELAY 900'], []) });
    const options = (s: FakeServer) => ({ host: s.host, port: s.port, tls: 'none' as const, allowInsecureAuth: true, credentials: { user: 'alice', password: 'secret' } });
    // Act
    const a = await connectPop3(options(both));
    const b = await connectPop3(options(preOnly));
    // Assess
    expect(a.capabilities.loginDelaySeconds).toBe(300);
    expect(b.capabilities.loginDelaySeconds).toBe(900);
    await a.quit();
    await b.quit();
  });
});
