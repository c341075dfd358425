import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractMessage } from '../../lambda/parse/index.js';
import { Spool } from '../../lambda/parse/spool.js';
import { MESSAGE_KEY, MemorySink, chunked } from './support.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parse-spool-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function withAttachment(size: number): { bytes: Buffer; content: Buffer } {
  const content = Buffer.alloc(size);
  for (let i = 0; i < size; i++) content[i] = (i * 7919) & 0xff;
  const b64 = content.toString('base64').replace(/.{76}/g, '$&\r\n');
  const bytes = Buffer.from(`From: a@example.test\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/zip; name="big.zip"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n--b--\r\n`);
  return { bytes, content };
}

describe('spool-temp-leak: a large attachment spools to a private temp file that is always removed', () => {
  it('spools past spoolMemoryBytes, stores the exact octets, leaves nothing behind', async () => {
    const { bytes, content } = withAttachment(300_000);
    const sink = new MemorySink();
    const { message } = await extractMessage(chunked(bytes, [4096]), { messageKey: MESSAGE_KEY, tempDir: dir, limits: { spoolMemoryBytes: 10_000 } }, sink);
    expect(sink.objects.get(message.attachments[0]!.key!)?.bytes.equals(content)).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });

  it('removes the temp file when the sink fails', async () => {
    const { bytes } = withAttachment(300_000);
    const sink = new MemorySink({ nth: 1, error: new Error('store down') });
    await expect(extractMessage(chunked(bytes, [4096]), { messageKey: MESSAGE_KEY, tempDir: dir, limits: { spoolMemoryBytes: 10_000 } }, sink)).rejects.toThrow('store down');
    expect(await readdir(dir)).toEqual([]);
  });

  it('removes the temp file when the body fails mid-attachment', async () => {
    const { bytes } = withAttachment(300_000);
    const body = (async function* () {
      yield* chunked(bytes.subarray(0, 200_000), [4096]);
      throw new Error('connection reset');
    })();
    await expect(extractMessage(body, { messageKey: MESSAGE_KEY, tempDir: dir, limits: { spoolMemoryBytes: 10_000 } }, new MemorySink())).rejects.toThrow('connection reset');
    expect(await readdir(dir)).toEqual([]);
  });

  it('a spool that cannot create its file is PARSE_SPOOL_FAILED (transient: another run may have disk)', async () => {
    const spool = new Spool(1, join(dir, 'missing', 'deeper'));
    await expect(spool.write(Buffer.from('ab'))).rejects.toMatchObject({ code: 'PARSE_SPOOL_FAILED', retryable: true });
    await spool.dispose();
  });

  it('attachments: false lists size and SHA-256 without storing or spooling', async () => {
    const { bytes, content } = withAttachment(50_000);
    const sink = new MemorySink();
    const { message } = await extractMessage(chunked(bytes), { messageKey: MESSAGE_KEY, attachments: false, tempDir: dir, limits: { spoolMemoryBytes: 1 } }, sink);
    expect(message.attachments[0]).toMatchObject({ size: content.length, filename: 'big.zip' });
    expect(message.attachments[0]!.key).toBeUndefined();
    expect([...sink.objects.keys()]).toEqual(['mail/inbox/full/0f1e2d3c/message.json']);
  });
});
