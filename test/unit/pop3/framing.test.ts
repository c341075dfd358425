import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter, MultilineDecoder, dotStuff, encodeMultiline } from '../../../lambda/pop3/framing.js';

const LIMITS = { maxSize: 1_000_000 };

/** Decodes `chunks` as one multi-line body; returns the body and the bytes left after it. */
function decode(chunks: Buffer[], limits = LIMITS, compactInPlace = false): { body: Buffer; rest: Buffer; done: boolean } {
  const decoder = new MultilineDecoder(limits, { compactInPlace });
  const out: Buffer[] = [];
  const rest: Buffer[] = [];
  for (const original of chunks) {
    // compactInPlace rewrites the chunk it is fed (as the engine does with socket chunks): give it its own copy.
    const chunk = compactInPlace ? Buffer.from(original) : original;
    if (decoder.done) {
      rest.push(chunk);
      continue;
    }
    const end = decoder.feed(chunk, 0, (part) => out.push(Buffer.from(part)));
    if (decoder.done) rest.push(chunk.subarray(end));
  }
  return { body: Buffer.concat(out), rest: Buffer.concat(rest), done: decoder.done };
}

function splitAt(wire: Buffer, ...offsets: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let last = 0;
  for (const offset of offsets) {
    chunks.push(wire.subarray(last, offset));
    last = offset;
  }
  chunks.push(wire.subarray(last));
  return chunks;
}

const TRICKY = Buffer.concat([
  Buffer.from('Subject: x\r\n\r\n.\r\n is not the end\r\n..double\r\n.single\r\n', 'latin1'),
  Buffer.from([0xff, 0x00, 0x80, 0x0d, 0x0a]),
  Buffer.from('.\rcr\r\nlast\r\n', 'latin1'),
]);

describe('MultilineDecoder (the message framer)', () => {
  for (const compactInPlace of [false, true]) {
    const mode = compactInPlace ? ' (unstuffing in place)' : '';
  it(`gives the same body whatever byte offset the wire is split at${mode}`, () => {
    // Prepare
    const body = Buffer.from('line one\r\n.leading dot\r\n..two dots\r\n\r\n.\r\nend\r\n', 'latin1');
    const wire = Buffer.concat([encodeMultiline(body), Buffer.from('+OK next\r\n')]);
    const expected = decode([wire], LIMITS, compactInPlace);

    // Act + Assess: every single split point and every pair of split points
    expect(expected.body.equals(body)).toBe(true);
    expect(expected.rest.toString()).toBe('+OK next\r\n');
    for (let i = 0; i <= wire.length; i++) {
      for (let j = i; j <= wire.length; j++) {
        const got = decode(splitAt(wire, i, j), LIMITS, compactInPlace);
        expect(got.body.equals(body)).toBe(true);
        expect(got.rest.toString()).toBe('+OK next\r\n');
      }
    }
  });

  }

  it('finds the terminator when it is split across chunks one byte at a time', () => {
    const wire = Buffer.from('abc\r\n.\r\n', 'latin1');
    const got = decode([...wire].map((b) => Buffer.from([b])));
    expect(got.done).toBe(true);
    expect(got.body.toString()).toBe('abc\r\n');
  });

  it('keeps lone "." content lines, unstuffs ".." and stays 8-bit clean', () => {
    const got = decode([encodeMultiline(TRICKY)]);
    expect(got.body.equals(TRICKY)).toBe(true);
  });

  it('decodes an empty body', () => {
    const got = decode([Buffer.from('.\r\n+OK')]);
    expect(got.done).toBe(true);
    expect(got.body.length).toBe(0);
    expect(got.rest.toString()).toBe('+OK');
  });

  it('tolerates bare LF line ends and keeps them as sent', () => {
    const got = decode([Buffer.from('a\n..b\n.\n', 'latin1')]);
    expect(got.done).toBe(true);
    expect(got.body.toString()).toBe('a\n.b\n');
  });

  it('treats a dot followed by CR and no LF as stuffing, keeping the CR', () => {
    const got = decode([Buffer.from('.\rx\r\n.\r\n', 'latin1')]);
    expect(got.body.toString()).toBe('\rx\r\n');
  });

  for (const compactInPlace of [false, true]) {
    const mode = compactInPlace ? ' (unstuffing in place)' : '';
  it(`property: unstuff(stuff(x)) === x for any bytes, at any two splits${mode}`, () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom('.', '\r\n', '\n', '..', '\r', '.\r\n'), fc.string()), { maxLength: 30 }),
        fc.uint8Array({ maxLength: 20 }),
        fc.nat(),
        fc.nat(),
        (pieces, binary, cut, cut2) => {
          let body = Buffer.concat([Buffer.from(pieces.join(''), 'latin1'), Buffer.from(binary)]);
          // A multi-line body always ends with a line end (or is empty).
          if (body.length > 0 && body[body.length - 1] !== 0x0a) body = Buffer.concat([body, Buffer.from('\r\n')]);
          const wire = encodeMultiline(body);
          const at = cut % (wire.length + 1);
          const at2 = at + (cut2 % (wire.length - at + 1));
          const got = decode(splitAt(wire, at, at2), LIMITS, compactInPlace);
          return got.done && got.body.equals(body) && got.rest.length === 0;
        },
      ),
      { numRuns: 2000 },
    );
  });

  }

  for (const compactInPlace of [false, true]) {
    const mode = compactInPlace ? ' (unstuffing in place)' : '';
    it(`streams a 1 MiB single-line body through, whatever the chunking${mode}`, () => {
      // Prepare: one line of 1 MiB (base64 without line breaks, generated HTML) and a stuffed dot.
      const body = Buffer.concat([Buffer.from('.'), Buffer.alloc(1024 * 1024, 0x61), Buffer.from('\r\n')]);
      const wire = Buffer.concat([encodeMultiline(body), Buffer.from('+OK next\r\n')]);

      // Act + Assess: whole, in 1,000-octet pieces, and in pieces cut right before the terminator
      for (const chunks of [[wire], Array.from({ length: Math.ceil(wire.length / 1000) }, (_, i) => wire.subarray(i * 1000, (i + 1) * 1000)), splitAt(wire, 1, wire.length - 13, wire.length - 12)]) {
        const got = decode(chunks, { maxSize: 2 * 1024 * 1024 }, compactInPlace);
        expect(got.done).toBe(true);
        expect(got.body.equals(body)).toBe(true);
        expect(got.rest.toString()).toBe('+OK next\r\n');
      }
    });
  }

  it('past maxSize emits nothing more, counts actual octets and still finds the terminator', () => {
    // Prepare
    const line = Buffer.from('x'.repeat(98) + '\r\n');
    const wire = Buffer.concat([encodeMultiline(Buffer.concat(Array.from({ length: 20 }, () => line))), Buffer.from('+OK next\r\n')]);
    for (const compactInPlace of [false, true]) {
      // Act: split at many offsets, so the cap is crossed inside a chunk and at its edges
      for (let at = 0; at <= wire.length; at += 7) {
        const decoder = new MultilineDecoder({ maxSize: 1000 }, { compactInPlace });
        let emitted = 0;
        const rest: Buffer[] = [];
        for (const chunk of splitAt(Buffer.from(wire), at)) {
          if (decoder.done) {
            rest.push(chunk);
            continue;
          }
          const end = decoder.feed(chunk, 0, (part) => (emitted += part.length));
          if (decoder.done) rest.push(chunk.subarray(end));
        }

        // Assess
        expect(decoder.done).toBe(true);
        expect(decoder.oversized).toBe(true);
        expect(decoder.size).toBe(2000);
        expect(emitted).toBeLessThanOrEqual(1000);
        expect(Buffer.concat(rest).toString()).toBe('+OK next\r\n');
      }
    }
  });
});

describe('dotStuff / encodeMultiline', () => {
  it('stuffs every line that starts with a dot, including the first', () => {
    expect(dotStuff(Buffer.from('.a\r\nb\r\n.\r\n')).toString()).toBe('..a\r\nb\r\n..\r\n');
  });

  it('adds a CRLF before the terminator when the body lacks one', () => {
    expect(encodeMultiline(Buffer.from('abc')).toString()).toBe('abc\r\n.\r\n');
  });
});

describe('LineSplitter', () => {
  it('joins a line split across chunks and strips CRLF or bare LF', () => {
    const splitter = new LineSplitter(100);
    expect(splitter.next(Buffer.from('+OK he'), 0)).toBeNull();
    expect(splitter.next(Buffer.from('llo\r\nrest'), 0)?.toString()).toBe('+OK hello');
    expect(splitter.end).toBe(5);
    expect(splitter.next(Buffer.from('-ERR x\n'), 0)?.toString()).toBe('-ERR x');
  });

  it('refuses an overlong status line before it is complete', () => {
    const splitter = new LineSplitter(10);
    expect(() => splitter.next(Buffer.alloc(50, 0x61), 0)).toThrow(/longer than 10/);
  });
});
