import { describe, expect, it } from 'vitest';
import { connectPop3 } from '../../lambda/pop3/index.js';
import { FetchQueue, fetchJobs, type WindowJob } from '../../lambda/sync/fetch-loop.js';
import type { FetchRequest, MailboxSession } from '../../lambda/sync/ports.js';
import { fakeServerPerTest, plainOptions, readAll } from '../session/helpers.js';

// On a slow link every pause of the pipeline costs a round trip: windows requested one after
// the other (32 RETRs, wait for all, 32 more) made the latency run 2x mpop's time.
describe('the fetch window slides instead of restarting', () => {
  const startServer = fakeServerPerTest();

  async function run(count: number, size: number, limits: { maxMessages: number; maxBytes: number }) {
    const messages = Array.from({ length: count }, (_, i) => ({ uid: `u${i + 1}`, body: `Subject: ${i + 1}\r\n\r\n${'z'.repeat(size)}\r\n` }));
    const server = await startServer({ messages });
    const pop3 = await connectPop3(plainOptions(server));
    let calls = 0;
    let requested = 0;
    let handedOut = 0;
    let maxOutstanding = 0;
    const session = {
      fetch(requests: Iterable<FetchRequest>) {
        calls += 1;
        const counted: Iterable<FetchRequest> = {
          [Symbol.iterator]: () => {
            const inner = requests[Symbol.iterator]();
            return {
              next: () => {
                const next = inner.next();
                if (next.done !== true) {
                  requested += 1;
                  maxOutstanding = Math.max(maxOutstanding, requested - handedOut);
                }
                return next;
              },
            };
          },
        };
        return pop3.fetch(counted);
      },
    } as unknown as MailboxSession;
    const jobs: WindowJob[] = messages.map((_, i) => ({ msg: i + 1, fetch: 'full', size: size + 20 }));
    const seen: number[] = [];
    for await (const { job, fetched } of fetchJobs(session, new FetchQueue(jobs), limits, () => false)) {
      handedOut += 1;
      await readAll(fetched.body);
      seen.push(job.msg);
    }
    await pop3.quit();
    return { calls, maxOutstanding, seen };
  }

  it('requests a whole small mailbox in one pipelined call, in order', async () => {
    const { calls, seen } = await run(300, 100, { maxMessages: 32, maxBytes: 16 * 1024 * 1024 });
    expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(calls).toBe(1);
  });

  it('never has more requested than the count and octet bounds allow', async () => {
    const { maxOutstanding, seen } = await run(120, 1000, { maxMessages: 50, maxBytes: 10 * 1020 });
    expect(seen).toHaveLength(120);
    expect(maxOutstanding).toBeLessThanOrEqual(10);
    expect(maxOutstanding).toBeGreaterThan(1);
  });
});
