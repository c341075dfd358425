import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TerminatorCounter } from '../raw-reader.js';

// Three RETR replies back to back, one with an empty body and one with a stuffed dot line.
const STREAM = Buffer.from('+OK 5\r\nabc\r\n.\r\n+OK 0\r\n.\r\n+OK\r\n..x\r\n\r\n.\r\n', 'latin1');

describe('the raw reader counts each reply once however the bytes arrive', () => {
  it('finds three terminators in one chunk', () => {
    expect(new TerminatorCounter().feed(STREAM)).toBe(3);
  });

  it('finds three terminators when split at every pair of offsets', () => {
    for (let a = 0; a <= STREAM.length; a += 1) {
      for (let b = a; b <= STREAM.length; b += 1) {
        // Prepare
        const counter = new TerminatorCounter();

        // Act
        const found = [STREAM.subarray(0, a), STREAM.subarray(a, b), STREAM.subarray(b)]
          .reduce((sum, part) => sum + counter.feed(part), 0);

        // Assess
        expect(found, `split at ${a}, ${b}`).toBe(3);
      }
    }
  });

  it('finds three terminators when fed in random small chunks', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 40 }), (sizes) => {
      const counter = new TerminatorCounter();
      let found = 0;
      let offset = 0;
      for (let i = 0; offset < STREAM.length; i += 1) {
        const size = sizes[i % sizes.length] as number;
        found += counter.feed(STREAM.subarray(offset, offset + size));
        offset += size;
      }
      expect(found).toBe(3);
    }));
  });
});
