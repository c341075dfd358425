import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extractMessage } from '../../lambda/parse/index.js';
import { MESSAGE_KEY, MemorySink, chunked, corpusMessage, corpusNames } from './support.js';

async function extract(bytes: Uint8Array, sizes?: number[]) {
  const sink = new MemorySink();
  const { message } = await extractMessage(chunked(bytes, sizes), { messageKey: MESSAGE_KEY }, sink);
  return { message, objects: [...sink.objects.entries()].map(([k, v]) => [k, v.bytes.toString('hex')]) };
}

describe('chunk-split: the result does not depend on where the body is cut', () => {
  it.each(corpusNames())('%s: one-octet chunks give the same message and objects as one chunk', async (name) => {
    const bytes = corpusMessage(name);
    expect(await extract(bytes, [1])).toEqual(await extract(bytes));
  });

  it('random cuts of every corpus message give the same result (property)', async () => {
    const names = corpusNames();
    const whole = new Map(await Promise.all(names.map(async (n) => [n, await extract(corpusMessage(n))] as const)));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...names), fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 12 }), async (name, sizes) => {
        expect(await extract(corpusMessage(name), sizes)).toEqual(whole.get(name));
      }),
      { numRuns: 60 },
    );
  });
});
