/**
 * The many-mailboxes figure asserts "no two sessions on the same mailbox at once" from
 * Dovecot's log. If the log parser saw nothing, that assertion would pass vacuously.
 */
import { describe, expect, it } from 'vitest';
import { sessionOverlap } from '../stats.js';

const login = (user: string, session: string) =>
  `pop3-login: Info: Login: user=<${user}>, method=PLAIN, rip=127.0.0.1, lip=127.0.0.1, mpid=4242, TLS, session=<${session}>`;
const logout = (user: string, session: string) =>
  `pop3(${user})<4242><${session}>: Info: Disconnected: Logged out top=0/0, retr=3/12000, del=0/3, size=12000`;

describe('sessionOverlap over a Dovecot log', () => {
  it('flags a second login on a mailbox before the first session ended', () => {
    // Prepare
    const log = [login('mbx0001', 'a'), login('mbx0002', 'b'), login('mbx0001', 'c'), logout('mbx0001', 'a'), logout('mbx0001', 'c'), logout('mbx0002', 'b')].join('\n');
    // Act
    const overlap = sessionOverlap(log);
    // Assess
    expect(overlap).toEqual({ maxPerUser: 2, overlappingUsers: ['mbx0001'], logins: 3, maxTotal: 3 });
  });

  it('accepts back-to-back sessions of one mailbox and counts concurrency over all mailboxes', () => {
    const log = [login('x', '1'), login('y', '2'), logout('x', '1'), login('x', '3'), logout('y', '2'), logout('x', '3')].join('\n');
    expect(sessionOverlap(log)).toEqual({ maxPerUser: 1, overlappingUsers: [], logins: 3, maxTotal: 2 });
  });

  it('ends a session on "Connection closed" too (a client that drops without QUIT)', () => {
    const log = [login('x', '1'), 'pop3(x)<7><1>: Info: Connection closed (UIDL finished 0.001 secs ago) top=0/0', login('x', '2')].join('\n');
    expect(sessionOverlap(log).maxPerUser).toBe(1);
  });
});
