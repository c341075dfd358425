/**
 * The fake S3 model (fake-s3.ts) served over HTTP on 127.0.0.1, so the real SDK (signing,
 * checksums, aws-chunked bodies, 100-continue, XML errors, keep-alive) runs against an S3 that
 * enforces conditional writes, which fauxqs does not. Path-style requests only; the object and
 * multipart operations the adapters use.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { S3Client } from '@aws-sdk/client-s3';
import { listenOnLoopback } from '../support/loopback-services.js';
import { FakeS3Model, type FakeObject } from './fake-s3.js';

/** A running fake: its endpoint, the model behind it, request counts, and stop(). */
export interface FakeS3Server {
  endpoint: string;
  model: FakeS3Model;
  /** Requests by operation (PutObject, HeadObject, ...). */
  requests: Map<string, number>;
  /** Most requests ever in flight at once. */
  maxInFlight: number;
  client(): S3Client;
  stop(): Promise<void>;
}

/** Starts the fake on 127.0.0.1 with an OS-chosen port. */
export async function startFakeS3Server(): Promise<FakeS3Server> {
  const model = new FakeS3Model();
  const requests = new Map<string, number>();
  let inFlight = 0;
  const state = { maxInFlight: 0 };
  const server = createServer((request, response) => {
    inFlight += 1;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    response.on('close', () => {
      inFlight -= 1;
    });
    handle(model, requests, request, response).catch((error: unknown) => sendError(response, error));
  });
  const port = await listenOnLoopback(server, 'fake S3');
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    model,
    requests,
    get maxInFlight() {
      return state.maxInFlight;
    },
    client: () => new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

async function handle(model: FakeS3Model, counts: Map<string, number>, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const [, bucket = '', ...rest] = url.pathname.split('/');
  const key = `${decodeURIComponent(bucket)}/${decodeURIComponent(rest.join('/'))}`;
  const header = (name: string): string | undefined => {
    const value = request.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const conditions = { ...(header('if-none-match') ? { IfNoneMatch: header('if-none-match') } : {}), ...(header('if-match') ? { IfMatch: header('if-match') } : {}) };
  const metadata = metadataOf(request);
  const uploadId = url.searchParams.get('uploadId');
  const method = request.method ?? 'GET';
  const count = (operation: string): void => {
    counts.set(operation, (counts.get(operation) ?? 0) + 1);
  };

  if (method === 'PUT' && uploadId !== null) {
    count('UploadPart');
    const { body, trailers } = await readBody(request);
    const checksum = header('x-amz-checksum-sha256') ?? trailers.get('x-amz-checksum-sha256');
    const { etag } = model.uploadPart(uploadId, Number(url.searchParams.get('partNumber')), body, checksum);
    response.writeHead(200, { ETag: etag, ...(checksum ? { 'x-amz-checksum-sha256': checksum } : {}) }).end();
  } else if (method === 'PUT') {
    count('PutObject');
    const { body, trailers } = await readBody(request);
    const checksum = header('x-amz-checksum-sha256') ?? trailers.get('x-amz-checksum-sha256');
    const contentType = header('content-type');
    const { etag } = model.put(key, body, { ...conditions, metadata, ...(contentType ? { contentType } : {}), ...(checksum ? { checksumSha256: checksum } : {}) });
    response.writeHead(200, { ETag: etag }).end();
  } else if (method === 'POST' && url.searchParams.has('uploads')) {
    count('CreateMultipartUpload');
    await readBody(request);
    const contentType = header('content-type');
    const id = model.createUpload(key, { metadata, ...(contentType ? { contentType } : {}) });
    sendXml(response, 200, `<InitiateMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${escapeXml(rest.join('/'))}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`);
  } else if (method === 'POST' && uploadId !== null) {
    count('CompleteMultipartUpload');
    const xml = (await readBody(request)).body.toString('utf8');
    const numbers = [...xml.matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((match) => Number(match[1]));
    const { etag } = model.complete(uploadId, numbers, conditions);
    sendXml(response, 200, `<CompleteMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${escapeXml(rest.join('/'))}</Key><ETag>${escapeXml(etag)}</ETag></CompleteMultipartUploadResult>`);
  } else if (method === 'DELETE' && uploadId !== null) {
    count('AbortMultipartUpload');
    model.abort(uploadId);
    response.writeHead(204).end();
  } else if (method === 'DELETE') {
    count('DeleteObject');
    model.delete(key, conditions);
    response.writeHead(204).end();
  } else if (method === 'HEAD') {
    count('HeadObject');
    let object: FakeObject;
    try {
      object = model.head(key);
    } catch {
      // HEAD carries no body: the SDK sees a bare 404 (NotFound).
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, objectHeaders(object)).end();
  } else if (method === 'GET' && url.searchParams.get('list-type') === '2' && rest.join('') === '') {
    count('ListObjectsV2');
    // Keys in UTF-8 binary order, a page at a time; the continuation token is the last key sent.
    const prefix = `${decodeURIComponent(bucket)}/${url.searchParams.get('prefix') ?? ''}`;
    const after = url.searchParams.get('continuation-token') ?? '';
    const pageSize = Math.min(Number(url.searchParams.get('max-keys') ?? model.listPageSize), model.listPageSize);
    const keys = [...model.objects.keys()].filter((k) => k.startsWith(prefix) && k.slice(bucket.length + 1) > after).sort();
    const page = keys.slice(0, pageSize).map((k) => k.slice(bucket.length + 1));
    const truncated = keys.length > page.length;
    sendXml(response, 200, `<ListBucketResult><Name>${escapeXml(bucket)}</Name><KeyCount>${page.length}</KeyCount><IsTruncated>${truncated}</IsTruncated>` +
      page.map((k) => `<Contents><Key>${escapeXml(k)}</Key></Contents>`).join('') +
      (truncated ? `<NextContinuationToken>${escapeXml(page[page.length - 1] as string)}</NextContinuationToken>` : '') + '</ListBucketResult>');
  } else if (method === 'GET') {
    count('GetObject');
    const object = model.get(key);
    // RFC 9110 section 14: "bytes=first-last" as S3 answers it (206 and Content-Range); replay reads heads this way.
    const range = /^bytes=(\d+)-(\d+)$/.exec(String(request.headers.range ?? ''));
    if (range && object.body.length > 0) {
      const first = Number(range[1]);
      const last = Math.min(Number(range[2]), object.body.length - 1);
      const part = object.body.subarray(first, last + 1);
      response.writeHead(206, { ...objectHeaders(object), 'Content-Length': part.length, 'Content-Range': `bytes ${first}-${last}/${object.body.length}` }).end(part);
      return;
    }
    response.writeHead(200, objectHeaders(object)).end(object.body);
  } else {
    sendXml(response, 405, '<Error><Code>MethodNotAllowed</Code><Message>not in the fake</Message></Error>');
  }
}

function metadataOf(request: IncomingMessage): Record<string, string> | undefined {
  const entries = Object.entries(request.headers)
    .filter(([name]) => name.startsWith('x-amz-meta-'))
    .map(([name, value]) => [name.slice('x-amz-meta-'.length), Array.isArray(value) ? value.join(',') : (value ?? '')]);
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}

function objectHeaders(object: FakeObject): Record<string, string | number> {
  const headers: Record<string, string | number> = { ETag: object.etag, 'Content-Length': object.body.length, 'Last-Modified': new Date(0).toUTCString() };
  if (object.contentType) headers['Content-Type'] = object.contentType;
  for (const [name, value] of Object.entries(object.metadata ?? {})) headers[`x-amz-meta-${name}`] = value;
  return headers;
}

/** Reads the body, decoding aws-chunked framing (and its trailers) when the SDK used it. */
async function readBody(request: IncomingMessage): Promise<{ body: Buffer; trailers: Map<string, string> }> {
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
  const raw = Buffer.concat(chunks);
  const encoding = String(request.headers['content-encoding'] ?? '');
  const sha = String(request.headers['x-amz-content-sha256'] ?? '');
  if (!encoding.includes('aws-chunked') && !sha.startsWith('STREAMING-')) return { body: raw, trailers: new Map() };
  const parts: Buffer[] = [];
  const trailers = new Map<string, string>();
  let offset = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', offset);
    if (lineEnd < 0) throw Object.assign(new Error('bad aws-chunked body'), { s3Code: 'IncompleteBody', status: 400 });
    const size = Number.parseInt(raw.subarray(offset, lineEnd).toString('latin1').split(';')[0] ?? '', 16);
    offset = lineEnd + 2;
    if (size === 0) break;
    parts.push(raw.subarray(offset, offset + size));
    offset += size + 2;
  }
  for (const line of raw.subarray(offset).toString('latin1').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) trailers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { body: Buffer.concat(parts), trailers };
}

function sendError(response: ServerResponse, error: unknown): void {
  const e = error as { name?: string; s3Code?: string; status?: number; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode ?? e.status ?? 500;
  const code = e.s3Code ?? e.name ?? 'InternalError';
  if (response.headersSent) {
    response.destroy();
    return;
  }
  sendXml(response, status, `<Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(code)}</Message></Error>`);
}

function sendXml(response: ServerResponse, status: number, xml: string): void {
  response.writeHead(status, { 'Content-Type': 'application/xml' }).end(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
