/**
 * PutEvents over HTTP on 127.0.0.1 (AWS JSON 1.1), for the backlog drain through the latency
 * proxy: the handler's real EventBridge client sends every batch over a socket, so the proxy
 * can delay it as it delays S3. Counted like the in-process fake (recordPutEvents: entries,
 * 64 KB billing chunks, the "Message Stored" log the drain check reads), and refusing what
 * EventBridge refuses (more than 10 entries or 256 KiB per call), so a client bug is not hidden.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { emptyCounts, recordPutEvents, type FakeAwsCounts } from './aws-fakes.js';

/** EventBridge quotas a PutEvents call must respect (PutEvents API reference). */
const MAX_ENTRIES_PER_CALL = 10;
const MAX_CALL_BYTES = 256 * 1024;

/** A running fake. */
export interface EventBridgeHttp {
  endpoint: string;
  port: number;
  /** A copy of the counts since start. */
  counts(): FakeAwsCounts;
  /** Calls refused for breaking a quota or malformed. */
  refused(): number;
  close(): Promise<void>;
}

/** Starts the fake; the uidHash of every "Message Stored" entry is appended to `storedLog`. */
export async function startEventBridgeHttp(storedLog?: string): Promise<EventBridgeHttp> {
  const counts = emptyCounts();
  let refused = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      const entries = parseEntries(req, body);
      if (entries === undefined || entries.length > MAX_ENTRIES_PER_CALL || body.length > MAX_CALL_BYTES) {
        refused += 1;
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: 'ValidationException', message: 'bench fake: malformed or over-quota PutEvents' }));
        return;
      }
      recordPutEvents(counts, entries, storedLog);
      res.end(JSON.stringify({ FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `bench-${counts.putEventsCalls}-${i}` })) }));
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('EventBridge fake has no TCP address');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    port: address.port,
    counts: () => ({ ...counts, entriesByType: { ...counts.entriesByType } }),
    refused: () => refused,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function parseEntries(req: IncomingMessage, body: Buffer): PutEventsRequestEntry[] | undefined {
  if (req.method !== 'POST' || req.headers['x-amz-target'] !== 'AWSEvents.PutEvents') return undefined;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { Entries?: unknown };
    return Array.isArray(parsed.Entries) ? (parsed.Entries as PutEventsRequestEntry[]) : undefined;
  } catch {
    return undefined;
  }
}
