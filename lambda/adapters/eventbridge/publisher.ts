/**
 * Publishes events to EventBridge with PutEvents, within its limits, retrying only what failed.
 *
 * PutEvents is not all-or-nothing: a 200 can carry FailedEntryCount > 0 with an ErrorCode on
 * some entries (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html).
 * Only those entries are sent again, with exponential backoff and full jitter, a bounded number
 * of times; entries that succeeded are never re-sent (each re-send would be a duplicate event).
 * Failures are reported per entry (ok: false), never thrown: the core then keeps the message on
 * the server and tries again next poll, and consumers dedupe on the event id.
 *
 * A call with more than 10 events sends its batches concurrently (a few in flight over the
 * client's keep-alive pool), so a large backlog pays one request latency per round, not one per
 * 10 events. EventBridge does not order events across requests in any case; the results array
 * is always in input order.
 */
import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { classifyError } from '../../shared/errors.js';
import type { EventPublisher, OutgoingEvent, PublishResult } from '../../sync/ports.js';
import { settleBounded } from '../bounded.js';
import { AdapterError } from '../errors.js';
import { entrySize, MAX_REQUEST_BYTES, planBatches } from './batching.js';

/** Options for EventBridgePublisher. */
export interface EventBridgePublisherOptions {
  client: EventBridgeClient;
  eventBusName: string;
  source: string;
  /** Total attempts per entry, the first included (default 4). */
  maxAttempts?: number;
  /** Backoff base: attempt n waits a random time in [0, base * 2^(n-1)), capped (default 100 ms). */
  baseDelayMs?: number;
  /** PutEvents requests in flight at once within one publish() (default 4). */
  maxInFlight?: number;
}

/** Per-entry error codes that no retry can fix (a bad entry, or a permission missing). */
const PERMANENT_ENTRY_ERRORS = new Set([
  'MalformedDetail', 'InvalidArgument', 'ValidationException', 'AccessDeniedException',
  'NotAuthorizedForSourceException', 'NotAuthorizedForDetailTypeException', 'ResourceNotFoundException',
]);
const MAX_DELAY_MS = 5_000;

/** EventPublisher over EventBridge PutEvents. */
export class EventBridgePublisher implements EventPublisher {
  private readonly client: EventBridgeClient;
  private readonly eventBusName: string;
  private readonly source: string;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxInFlight: number;

  constructor(options: EventBridgePublisherOptions) {
    const maxAttempts = options.maxAttempts ?? 4;
    const baseDelayMs = options.baseDelayMs ?? 100;
    const maxInFlight = options.maxInFlight ?? 4;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new AdapterError('INVALID_CONFIG', 'permanent', 'maxAttempts must be an integer >= 1');
    if (!(baseDelayMs >= 0)) throw new AdapterError('INVALID_CONFIG', 'permanent', 'baseDelayMs must be >= 0');
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new AdapterError('INVALID_CONFIG', 'permanent', 'maxInFlight must be an integer >= 1');
    if (options.source === '' || options.eventBusName === '') throw new AdapterError('INVALID_CONFIG', 'permanent', 'source and eventBusName are required');
    this.client = options.client;
    this.eventBusName = options.eventBusName;
    this.source = options.source;
    this.maxAttempts = maxAttempts;
    this.baseDelayMs = baseDelayMs;
    this.maxInFlight = maxInFlight;
  }

  /** Publishes all events; one result per event, in input order. */
  async publish(events: readonly OutgoingEvent[]): Promise<PublishResult[]> {
    const results: (PublishResult | undefined)[] = new Array<PublishResult | undefined>(events.length);
    const entries: PutEventsRequestEntry[] = [];
    const sizes: number[] = [];
    let pending: number[] = [];
    const now = new Date();
    events.forEach((event, index) => {
      let entry: PutEventsRequestEntry;
      try {
        entry = this.toEntry(event, now);
      } catch (error) {
        results[index] = { id: event.id, ok: false, error: `detail is not serialisable: ${String(error)}` };
        entries.push({});
        sizes.push(0);
        return;
      }
      entries.push(entry);
      const size = entrySize(entry);
      sizes.push(size);
      if (size > MAX_REQUEST_BYTES) {
        results[index] = { id: event.id, ok: false, error: `event too large: ${size} bytes, PutEvents allows ${MAX_REQUEST_BYTES}` };
      } else {
        pending.push(index);
      }
    });

    const lastError = new Map<number, string>();
    for (let attempt = 1; attempt <= this.maxAttempts && pending.length > 0; attempt += 1) {
      if (attempt > 1) await this.backoff(attempt - 1);
      const retry: number[] = [];
      await settleBounded(planBatches(pending, sizes), this.maxInFlight, (batch) => this.sendBatch(batch, entries, events, results, lastError, retry));
      // Batches finish in any order; retries are re-batched in input order.
      pending = retry.sort((a, b) => a - b);
    }
    for (const index of pending) {
      const event = events[index] as OutgoingEvent;
      results[index] = { id: event.id, ok: false, error: `not published after ${this.maxAttempts} attempts: ${lastError.get(index) ?? 'unknown error'}` };
    }
    return results.map((result, index) => result ?? { id: (events[index] as OutgoingEvent).id, ok: false, error: 'no result' });
  }

  private toEntry(event: OutgoingEvent, now: Date): PutEventsRequestEntry {
    const detail = JSON.stringify(event.detail);
    if (typeof detail !== 'string') throw new TypeError('detail serialised to nothing');
    return {
      EventBusName: this.eventBusName,
      Source: this.source,
      DetailType: event.detailType,
      Detail: detail,
      Time: event.time ?? now,
    };
  }

  /** Sends one batch; fills `results` for settled entries and pushes retryable ones to `retry`. */
  private async sendBatch(
    batch: number[],
    entries: readonly PutEventsRequestEntry[],
    events: readonly OutgoingEvent[],
    results: (PublishResult | undefined)[],
    lastError: Map<number, string>,
    retry: number[],
  ): Promise<void> {
    const fail = (index: number, error: string): void => {
      results[index] = { id: (events[index] as OutgoingEvent).id, ok: false, error };
    };
    let response;
    try {
      response = await this.client.send(new PutEventsCommand({ Entries: batch.map((index) => entries[index] as PutEventsRequestEntry) }));
    } catch (error) {
      // The whole call failed (the SDK has already retried it): retry the batch only if it may help.
      const classified = classifyError(error);
      const message = `PutEvents failed: ${classified.code}: ${error instanceof Error ? error.message : String(error)}`;
      for (const index of batch) {
        if (classified.retryable) {
          lastError.set(index, message);
          retry.push(index);
        } else {
          fail(index, message);
        }
      }
      return;
    }
    batch.forEach((index, position) => {
      // Response entries are in request order (API_PutEvents: "in the same order").
      const outcome = response.Entries?.[position];
      if (outcome?.ErrorCode !== undefined) {
        const message = `${outcome.ErrorCode}: ${outcome.ErrorMessage ?? ''}`.trim();
        if (PERMANENT_ENTRY_ERRORS.has(outcome.ErrorCode)) {
          fail(index, message);
        } else {
          lastError.set(index, message);
          retry.push(index);
        }
      } else if (outcome?.EventId !== undefined) {
        results[index] = { id: (events[index] as OutgoingEvent).id, ok: true };
      } else {
        lastError.set(index, 'PutEvents returned no result for this entry');
        retry.push(index);
      }
    });
  }

  private async backoff(retryNumber: number): Promise<void> {
    // Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): spreads retries out.
    const ceiling = Math.min(MAX_DELAY_MS, this.baseDelayMs * 2 ** (retryNumber - 1));
    const delay = Math.floor(Math.random() * ceiling);
    if (delay > 0) await new Promise<void>((resolve) => setTimeout(resolve, delay));
  }
}
