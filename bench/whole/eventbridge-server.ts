/**
 * A stand-in for the EventBridge PutEvents API on 127.0.0.1 (AWS JSON 1.1 protocol), so the CLI
 * as a separate process can publish through the real SDK over HTTP. It accepts what EventBridge
 * accepts for a well-formed call and refuses what it refuses (more than 10 entries, 256 KiB per
 * call), and counts "Message Stored" entries so a run can be checked for every message published.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';

/** EventBridge quotas a PutEvents call must respect (PutEvents API reference). */
const MAX_ENTRIES_PER_CALL = 10;
const MAX_CALL_BYTES = 256 * 1024;

/** What the fake saw since the last reset. */
export interface EventBridgeCounts {
  calls: number;
  entries: number;
  /** Entries with DetailType "Message Stored". */
  stored: number;
  /** Calls refused for breaking a quota (a client bug the benchmark must not hide). */
  refused: number;
}

/** A running fake. */
export interface EventBridgeServer {
  endpoint: string;
  counts(): EventBridgeCounts;
  reset(): void;
  close(): Promise<void>;
}

/** Options of the fake. */
export interface EventBridgeServerOptions {
  /** Called with the entries of every accepted call (bench/e2e counts and logs them its own way). */
  onAccepted?: (entries: PutEventsRequestEntry[]) => void;
}

/** Starts the fake on 127.0.0.1 with an OS-chosen port. */
export async function startEventBridgeServer(options: EventBridgeServerOptions = {}): Promise<EventBridgeServer> {
  let counts: EventBridgeCounts = { calls: 0, entries: 0, stored: 0, refused: 0 };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      const entries = parseEntries(req, body);
      if (entries === undefined || entries.length > MAX_ENTRIES_PER_CALL || body.length > MAX_CALL_BYTES) {
        counts.refused += 1;
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: 'ValidationException', message: 'bench fake: malformed or over-quota PutEvents' }));
        return;
      }
      counts.calls += 1;
      counts.entries += entries.length;
      counts.stored += entries.filter((e) => e.DetailType === 'Message Stored').length;
      options.onAccepted?.(entries);
      res.end(JSON.stringify({ FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `bench-${counts.calls}-${i}` })) }));
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
    counts: () => ({ ...counts }),
    reset: () => {
      counts = { calls: 0, entries: 0, stored: 0, refused: 0 };
    },
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
