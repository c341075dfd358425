/**
 * Threat: every store in flight holds its message twice. The sync core hands a small message
 * over as one buffer; the S3 store's reader copied it again before the PUT, so 16 stores in
 * flight held 32 MiB for 16 MiB of mail (bench/whole, pipeline full).
 */
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { readBody } from '../../lambda/adapters/s3/spool.js';

async function* chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  for (const part of parts) yield part;
}

describe('readBody on a buffered message', () => {
  it('keeps a single chunk as it is, without a copy', async () => {
    const message = new Uint8Array(1024 * 1024).fill(7);
    const body = await readBody(chunks(message), 5 * 1024 * 1024, tmpdir());
    expect(body.kind).toBe('buffered');
    if (body.kind !== 'buffered') return;
    expect(body.bytes.buffer).toBe(message.buffer);
    expect(body.bytes.byteOffset).toBe(message.byteOffset);
    expect(body.size).toBe(message.byteLength);
  });

  it('keeps a view of a chunk that is itself a view, with its own offset', async () => {
    const backing = Buffer.alloc(100, 1);
    const view = backing.subarray(10, 60);
    const body = await readBody(chunks(view), 5 * 1024 * 1024, tmpdir());
    if (body.kind !== 'buffered') throw new Error('expected a buffered body');
    expect(Buffer.compare(body.bytes, view)).toBe(0);
    expect(body.bytes.byteLength).toBe(50);
  });

  it('joins several chunks into one buffer', async () => {
    const body = await readBody(chunks(Buffer.from('ab'), Buffer.from('cd')), 5 * 1024 * 1024, tmpdir());
    if (body.kind !== 'buffered') throw new Error('expected a buffered body');
    expect(body.bytes.toString()).toBe('abcd');
  });
});
