import { describe, expect, it } from 'vitest';
import { classifyError, IngestError } from '../../lambda/shared/errors.js';
import { ParseError, extractMessage, parseFailedFields } from '../../lambda/parse/index.js';
import { MESSAGE_KEY, MemorySink, chunked, counted } from './support.js';

const ok = Buffer.from('From: a@example.test\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/pdf\r\n\r\nPDF\r\n--b--\r\n');

async function failure(bytes: Uint8Array, limits = {}): Promise<unknown> {
  return extractMessage(chunked(bytes, [1000]), { messageKey: MESSAGE_KEY, limits }, new MemorySink()).then(
    () => undefined,
    (error: unknown) => error,
  );
}

function manyParts(n: number): Buffer {
  const parts = Array.from({ length: n }, (_, i) => `--b\r\nContent-Type: text/plain\r\n\r\npart ${i}\r\n`).join('');
  return Buffer.from(`From: a@example.test\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n${parts}--b--\r\n`);
}

function nested(depth: number): Buffer {
  let head = 'From: a@example.test\r\n';
  let tail = '';
  for (let i = 0; i < depth; i++) {
    head += `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n`;
    tail = `\r\n--b${i}--\r\n${tail}`;
  }
  return Buffer.from(`${head}Content-Type: text/plain\r\n\r\ndeep${tail}`);
}

describe('Message Parse Failed: a message that does not parse is reported with a reason, never retried', () => {
  it.each([
    ['empty message', Buffer.alloc(0), {}, 'PARSE_NO_HEADER'],
    ['no header field at all', Buffer.from('\r\njust a body\r\n'), {}, 'PARSE_NO_HEADER'],
    ['a header block past maxHeadSize', Buffer.from(`From: a@example.test\r\nX-Big: ${'x'.repeat(300_000)}\r\n\r\nbody`), { maxHeadSize: 64 * 1024 }, 'PARSE_HEADER_TOO_LARGE'],
    ['more parts than maxParts', manyParts(60), { maxParts: 50 }, 'PARSE_TOO_MANY_PARTS'],
    ['nesting deeper than maxDepth', nested(12), { maxDepth: 8 }, 'PARSE_TOO_DEEP'],
  ])('%s gives %s', async (_name, bytes, limits, code) => {
    const error = await failure(bytes, limits);
    expect(error).toBeInstanceOf(ParseError);
    expect((error as ParseError).code).toBe(code);
    expect(classifyError(error)).toMatchObject({ category: 'permanent', retryable: false });
    expect(parseFailedFields(error)).toEqual({ kind: 'parse-failed', reason: code, explanation: (error as Error).message });
  });

  it('within the default limits the same shapes parse', async () => {
    expect(await failure(manyParts(60))).toBeUndefined();
    expect(await failure(nested(12))).toBeUndefined();
  });

  it('parse-failure-stalls-tee: the body is read to its end even when parsing fails early', async () => {
    // Prepare: the header block is too large in the first chunk; 100 more chunks follow.
    const bytes = Buffer.concat([Buffer.from(`X-Big: ${'x'.repeat(5000)}\r\n\r\n`), Buffer.alloc(100 * 1000, 0x61)]);
    const body = counted(bytes, 1000);
    // Act
    const error = await extractMessage(body.body, { messageKey: MESSAGE_KEY, limits: { maxHeadSize: 1024 } }, new MemorySink()).catch((e: unknown) => e);
    // Assess
    expect((error as ParseError).code).toBe('PARSE_HEADER_TOO_LARGE');
    expect(body.pulled()).toBe(body.total);
  });

  it('sink-error-masked: a store failure keeps its own code and retryability, it is not a parse failure', async () => {
    const s3Down = Object.assign(new Error('service unavailable'), { $metadata: { httpStatusCode: 503 } });
    const body = counted(ok, 7);
    const error = await extractMessage(body.body, { messageKey: MESSAGE_KEY }, new MemorySink({ nth: 1, error: s3Down })).catch((e: unknown) => e);
    expect(error).toBe(s3Down);
    expect(classifyError(error)).toMatchObject({ category: 'transient', retryable: true });
    expect(body.pulled()).toBe(body.total);
  });

  it('a failing message.json put is the sink error too', async () => {
    const failed = new IngestError('STORE_DOWN', 'transient', 'down');
    const error = await extractMessage(chunked(ok), { messageKey: MESSAGE_KEY }, new MemorySink({ nth: 2, error: failed })).catch((e: unknown) => e);
    expect(error).toBe(failed);
  });

  it('body-error-masked: an error of the body (e.g. MESSAGE_FAULT from the mail source) passes through unchanged', async () => {
    const fault = new IngestError('MESSAGE_FAULT', 'permanent', 'message past its hard cap');
    const body = (async function* () {
      yield ok.subarray(0, 40);
      throw fault;
    })();
    await expect(extractMessage(body, { messageKey: MESSAGE_KEY }, new MemorySink())).rejects.toBe(fault);
  });

  it('an aborted extraction rejects with the abort reason, not a parse failure', async () => {
    const controller = new AbortController();
    controller.abort(new Error('deadline'));
    const error = await extractMessage(chunked(ok, [5]), { messageKey: MESSAGE_KEY, signal: controller.signal }, new MemorySink()).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(ParseError);
    expect((error as Error).message).toBe('deadline');
  });

  it('parseFailedFields is total: foreign errors and control characters give a bounded explanation', () => {
    expect(parseFailedFields('weird\u0000thing')).toEqual({ kind: 'parse-failed', reason: 'PARSE_MALFORMED', explanation: 'weird thing' });
    expect(parseFailedFields(new Error('x'.repeat(5000))).explanation).toHaveLength(1024);
  });
});
