import { describe, expect, it } from 'vitest';
import { StatusDecoder } from '../../../lambda/pop3/decoders.js';
import { Pop3Error } from '../../../lambda/pop3/errors.js';
import { Pipeline } from '../../../lambda/pop3/pipeline.js';

function setup(pipelining: boolean) {
  const writes: string[] = [];
  const pipeline = new Pipeline((data) => writes.push(data), { window: 64, lowWater: 16 });
  pipeline.setPipelining(pipelining);
  const submit = (n: number) =>
    Array.from({ length: n }, (_, i) => {
      const decoder = new StatusDecoder(`NOOP ${i}`, 100);
      pipeline.submit(`NOOP ${i}`, decoder);
      return decoder;
    });
  const sent = () => writes.join('').split('\r\n').filter(Boolean).length;
  return { pipeline, writes, submit, sent };
}

const tick = () => new Promise<void>((resolve) => queueMicrotask(resolve));

describe('the command pipeline', () => {
  it('sends strictly one command at a time when the server did not advertise PIPELINING', async () => {
    const { pipeline, submit, sent } = setup(false);
    submit(3);
    await tick();
    expect(sent()).toBe(1);
    pipeline.receive(Buffer.from('+OK\r\n'));
    expect(sent()).toBe(2);
  });

  it('keeps a full window in flight and refills in one batch below the low-water mark', async () => {
    // Prepare
    const { pipeline, writes, submit, sent } = setup(true);
    submit(200);
    await tick();

    // Assess: the first write carries a whole window
    expect(writes).toHaveLength(1);
    expect(sent()).toBe(64);

    // Act: replies down to the low-water mark do not trigger writes; one more refills
    pipeline.receive(Buffer.from('+OK\r\n'.repeat(48)));
    expect(writes).toHaveLength(1);
    pipeline.receive(Buffer.from('+OK\r\n'));
    expect(writes).toHaveLength(2);
    expect(pipeline.inFlightCount).toBe(64);
    expect(sent()).toBe(64 + 49);
  });

  it('resolves replies in order even when they arrive in one chunk', async () => {
    const { pipeline, submit } = setup(true);
    const [a, b] = submit(2);
    await tick();
    pipeline.receive(Buffer.from('+OK first\r\n-ERR second\r\n'));
    await expect(a?.result).resolves.toMatchObject({ kind: 'ok', text: 'first' });
    await expect(b?.result).resolves.toMatchObject({ kind: 'err', text: 'second' });
  });

  it('treats bytes with nothing pending as a desync', () => {
    const { pipeline } = setup(true);
    expect(() => pipeline.receive(Buffer.from('+OK surprise\r\n'))).toThrow(Pop3Error);
    try {
      pipeline.receive(Buffer.from('+OK surprise\r\n'));
    } catch (error) {
      expect((error as Pop3Error).code).toBe('POP3_DESYNC');
    }
  });

  it('fails every pending command once the session dies, and refuses new ones', async () => {
    const { pipeline, submit } = setup(true);
    const decoders = submit(3);
    const failure = new Pop3Error('POP3_CONNECTION_CLOSED', 'gone');
    pipeline.failAll(failure);
    for (const d of decoders) await expect(d.result).rejects.toBe(failure);
    expect(() => submit(1)).toThrow(failure);
  });
});
