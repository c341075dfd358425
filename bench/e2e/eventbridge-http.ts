/**
 * PutEvents over HTTP on 127.0.0.1 (AWS JSON 1.1), for the backlog drain through the latency
 * proxy: the handler's real EventBridge client sends every batch over a socket, so the proxy
 * can delay it as it delays S3. It is bench/whole's PutEvents stand-in (which refuses what
 * EventBridge refuses: more than 10 entries or 256 KiB per call), counted like the in-process
 * fake (recordPutEvents: entries, 64 KB billing chunks, the "Message Stored" log the drain
 * check reads).
 */
import { startEventBridgeServer } from '../whole/eventbridge-server.js';
import { emptyCounts, recordPutEvents, type FakeAwsCounts } from './aws-fakes.js';

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
  const server = await startEventBridgeServer({ onAccepted: (entries) => recordPutEvents(counts, entries, storedLog) });
  return {
    endpoint: server.endpoint,
    port: Number(new URL(server.endpoint).port),
    counts: () => ({ ...counts, entriesByType: { ...counts.entriesByType } }),
    refused: () => server.counts().refused,
    close: () => server.close(),
  };
}
