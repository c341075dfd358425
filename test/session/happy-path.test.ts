import { afterEach, describe, expect, it } from 'vitest';
import { connectPop3 } from '../../lambda/pop3/index.js';
import { startFakePop3Server, type FakeServer } from '../support/fake-pop3-server.js';
import { plainOptions, readAll } from './helpers.js';

describe('a plain session against a well-behaved server', () => {
  let server: FakeServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('lists, fetches pipelined, deletes and commits at QUIT', async () => {
    // Prepare
    server = await startFakePop3Server({
      messages: [
        { uid: 'a1', body: 'Subject: one\r\n\r\nhello\r\n.dot line\r\n' },
        { uid: 'b2', body: 'Subject: two\r\n\r\nworld\r\n' },
      ],
    });
    const session = await connectPop3(plainOptions(server, { authMethods: ['PLAIN'] }));

    // Act
    const uidl = await session.uidl();
    const list = await session.list();
    const bodies: string[] = [];
    for await (const item of session.fetch([{ msg: 1, kind: 'full' }, { msg: 2, kind: 'headers' }])) {
      bodies.push((await readAll(item.body)).toString('latin1'));
    }
    await session.deleMany([1, 2]);
    await session.quit();

    // Assess
    expect(session.authMethod).toBe('PLAIN');
    expect(session.capabilities.pipelining).toBe(true);
    expect(uidl.entries).toEqual([{ msg: 1, uid: 'a1' }, { msg: 2, uid: 'b2' }]);
    expect(list).toEqual([{ msg: 1, size: 34 }, { msg: 2, size: 23 }]);
    expect(bodies).toEqual(['Subject: one\r\n\r\nhello\r\n.dot line\r\n', 'Subject: two\r\n\r\n']);
    expect(server.deleted).toEqual(['a1', 'b2']);
  });
});
