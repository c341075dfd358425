/**
 * A loopback proxy in front of the S3 emulator that enforces conditional writes as S3 does
 * (If-None-Match: * and If-Match answer 412; If-Match on a missing key answers 404), because
 * fauxqs 1.9.2 accepts those headers and ignores them. Tests whose processes share one bucket
 * (a killed lease holder and its successor) need the real S3 answer across processes, which the
 * in-process fake S3 cannot give.
 *
 * Each conditional PUT, DELETE or POST (CompleteMultipartUpload) runs alone per key: the proxy
 * HEADs the object, judges the condition, and forwards the request only if it holds, so check
 * and write are atomic as seen through the proxy. Everything else is forwarded as is.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running proxy: its endpoint URL and how to stop it. */
export interface ConditionalS3 {
  endpoint: string;
  stop(): Promise<void>;
}

/** Starts the proxy on 127.0.0.1 (port chosen by the OS) in front of `target` (an http:// endpoint). */
export async function startConditionalS3(target: string): Promise<ConditionalS3> {
  const upstream = new URL(target);
  const queues = new Map<string, Promise<void>>();

  const forward = (req: IncomingMessage, res: ServerResponse): Promise<void> =>
    new Promise((done) => {
      const out = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.once('end', () => done());
          answer.once('error', () => done());
        },
      );
      out.once('error', () => {
        res.writeHead(502).end();
        done();
      });
      req.pipe(out);
    });

  const head = (path: string): Promise<{ exists: boolean; etag?: string }> =>
    new Promise((resolve, reject) => {
      const probe = request({ host: upstream.hostname, port: upstream.port, method: 'HEAD', path }, (answer) => {
        answer.resume();
        const etag = answer.headers.etag;
        resolve(answer.statusCode === 200 ? { exists: true, ...(etag === undefined ? {} : { etag }) } : { exists: false });
      });
      probe.once('error', reject);
      probe.end();
    });

  const refuse = (res: ServerResponse, status: number, code: string): void => {
    res.writeHead(status, { 'content-type': 'application/xml' });
    res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`);
  };

  const conditional = async (req: IncomingMessage, res: ServerResponse, key: string): Promise<void> => {
    const current = await head(key);
    const ifNoneMatch = req.headers['if-none-match'];
    const ifMatch = req.headers['if-match'];
    if (ifNoneMatch === '*' && current.exists) return refuse(res, 412, 'PreconditionFailed');
    if (ifMatch !== undefined) {
      if (!current.exists) return refuse(res, 404, 'NoSuchKey');
      if (current.etag !== ifMatch) return refuse(res, 412, 'PreconditionFailed');
    }
    await forward(req, res);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const isPart = url.searchParams.has('partNumber');
    const guarded = (req.method === 'PUT' || req.method === 'DELETE' || req.method === 'POST') && !isPart &&
      (req.headers['if-match'] !== undefined || req.headers['if-none-match'] !== undefined);
    if (!guarded) {
      void forward(req, res);
      return;
    }
    req.pause();
    const key = url.pathname;
    const previous = queues.get(key) ?? Promise.resolve();
    const turn = previous.then(() => conditional(req, res, key)).catch(() => {
      if (!res.headersSent) refuse(res, 500, 'InternalError');
    });
    queues.set(key, turn);
    void turn.finally(() => {
      if (queues.get(key) === turn) queues.delete(key);
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
