/**
 * EventBridge PutEvents over HTTP on 127.0.0.1 (awsJson1_1), for the real SDK: enforces the
 * limits EventBridge does (10 entries, 256 KB a request, a JSON object as Detail), answers per
 * entry, and can refuse chosen entries or hold requests to show how many are in flight.
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
 */
import { createServer, type ServerResponse } from 'node:http';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { listenOnLoopback } from '../support/loopback-services.js';

/** One entry as received (Time in epoch seconds, as the SDK sends it). */
export interface ReceivedEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Time?: number;
  Resources?: string[];
}

/** A running fake. */
export interface FakeEventBridgeServer {
  endpoint: string;
  /** Entries accepted (given an EventId), in arrival order. */
  accepted: ReceivedEntry[];
  /** Requests received. */
  requests: number;
  /** Most PutEvents requests in flight at once. */
  readonly maxInFlight: number;
  /** Returns an error code to refuse an entry in this request (then it is not accepted). */
  refuse: (entry: ReceivedEntry) => string | undefined;
  /**
   * Holds every request until `count` are in flight together, then releases them all (once).
   * A client that never gets there is released after 2 s, so its test fails on the count
   * instead of hanging.
   */
  holdUntilInFlight(count: number): void;
  client(): EventBridgeClient;
  stop(): Promise<void>;
}

const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;

/** Starts the fake on 127.0.0.1 with an OS-chosen port. */
export async function startFakeEventBridgeServer(): Promise<FakeEventBridgeServer> {
  let inFlight = 0;
  let maxInFlight = 0;
  let eventCounter = 0;
  let hold: { count: number; waiting: (() => void)[] } | undefined;
  const fake = {
    accepted: [] as ReceivedEntry[],
    requests: 0,
    refuse: ((): string | undefined => undefined) as FakeEventBridgeServer['refuse'],
  };
  const server = createServer((request, response) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    response.on('close', () => {
      inFlight -= 1;
    });
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      fake.requests += 1;
      const answer = (): void => respond(Buffer.concat(chunks).toString('utf8'), String(request.headers['x-amz-target'] ?? ''), response);
      if (hold === undefined) return answer();
      hold.waiting.push(answer);
      if (inFlight >= hold.count) {
        const released = hold.waiting;
        hold = undefined;
        for (const run of released) run();
      }
    });
  });

  function respond(text: string, target: string, response: ServerResponse): void {
    if (target !== 'AWSEvents.PutEvents') return sendError(response, 400, 'UnknownOperationException', target);
    const entries = ((JSON.parse(text) as { Entries?: ReceivedEntry[] }).Entries ?? []);
    if (entries.length === 0 || entries.length > MAX_ENTRIES) return sendError(response, 400, 'ValidationException', `${entries.length} entries`);
    const bytes = entries.reduce((sum, entry) => sum + entrySize(entry), 0);
    if (bytes > MAX_REQUEST_BYTES) return sendError(response, 400, 'ValidationException', `request of ${bytes} bytes`);
    const results = entries.map((entry) => {
      const refused = validDetail(entry.Detail) ? fake.refuse(entry) : 'MalformedDetail';
      if (refused !== undefined) return { ErrorCode: refused, ErrorMessage: `refused: ${refused}` };
      fake.accepted.push(entry);
      eventCounter += 1;
      return { EventId: `fake-${eventCounter}` };
    });
    const failed = results.filter((result) => 'ErrorCode' in result).length;
    response.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ FailedEntryCount: failed, Entries: results }));
  }

  const port = await listenOnLoopback(server, 'fake EventBridge');
  const endpoint = `http://127.0.0.1:${port}`;
  // A getter, not a value: Object.assign would copy today's count.
  Object.defineProperty(fake, 'maxInFlight', { get: () => maxInFlight, enumerable: true });
  return Object.assign(fake as typeof fake & { readonly maxInFlight: number }, {
    endpoint,
    holdUntilInFlight(count: number): void {
      const current = { count, waiting: [] as (() => void)[] };
      hold = current;
      setTimeout(() => {
        if (hold !== current) return;
        hold = undefined;
        for (const run of current.waiting) run();
      }, 2_000).unref();
    },
    client: () => new EventBridgeClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 }),
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  });
}

/** The size AWS counts for one entry (eb-putevent-size.html). */
function entrySize(entry: ReceivedEntry): number {
  let size = entry.Time === undefined ? 0 : 14;
  for (const text of [entry.Source, entry.DetailType, entry.Detail, ...(entry.Resources ?? [])]) size += Buffer.byteLength(text ?? '', 'utf8');
  return size;
}

function validDetail(detail: string | undefined): boolean {
  try {
    const parsed: unknown = JSON.parse(detail ?? '');
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed);
  } catch {
    return false;
  }
}

function sendError(response: ServerResponse, status: number, type: string, message: string): void {
  response.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-ErrorType': type }).end(JSON.stringify({ __type: type, message }));
}
