/**
 * Threats: a large publish pays one PutEvents latency per 10 events (a backlog drains at the
 * speed of sequential round trips); or, once batches run concurrently, results come back in
 * completion order (the core would acknowledge the wrong message) or a retried entry is
 * delivered twice. Real SDK over HTTP to a loopback PutEvents.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EventBridgePublisher } from '../../lambda/adapters/eventbridge/publisher.js';
import type { OutgoingEvent } from '../../lambda/sync/ports.js';
import { startFakeEventBridgeServer, type FakeEventBridgeServer } from './fake-eventbridge-server.js';

let server: FakeEventBridgeServer;
beforeAll(async () => {
  server = await startFakeEventBridgeServer();
});
afterAll(async () => {
  await server.stop();
});

function events(count: number): OutgoingEvent[] {
  return Array.from({ length: count }, (_, n) => ({ id: `evt-${n}`, detailType: 'Message Stored', detail: { n } }));
}

const nOf = (detail: string | undefined): number => (JSON.parse(detail ?? '{}') as { n: number }).n;

describe('EventBridgePublisher concurrent batches', () => {
  beforeEach(() => {
    server.accepted.length = 0;
    server.requests = 0;
    server.refuse = () => undefined;
  });

  it('keeps four PutEvents batches in flight, never more, and answers in input order', async () => {
    // Prepare: 45 events are 5 batches; the server answers none until 4 are in flight together.
    server.holdUntilInFlight(4);
    const publisher = new EventBridgePublisher({ client: server.client(), eventBusName: 'bus', source: 'src', maxInFlight: 4 });

    // Act
    const results = await publisher.publish(events(45));

    // Assess
    expect(server.maxInFlight).toBe(4);
    expect(server.requests).toBe(5);
    expect(results).toEqual(events(45).map((event) => ({ id: event.id, ok: true })));
  });

  it('retries only the refused entries, each delivered exactly once, and keeps results in input order', async () => {
    const refusedOnce = new Set([3, 17, 38]);
    server.refuse = (entry) => {
      const n = nOf(entry.Detail);
      if (n === 44) return 'AccessDeniedException';
      if (!refusedOnce.delete(n)) return undefined;
      return 'ThrottlingException';
    };
    const publisher = new EventBridgePublisher({ client: server.client(), eventBusName: 'bus', source: 'src', baseDelayMs: 1 });

    const results = await publisher.publish(events(45));

    expect(results.map((result) => result.id)).toEqual(events(45).map((event) => event.id));
    expect(results.filter((result) => !result.ok)).toEqual([{ id: 'evt-44', ok: false, error: expect.stringMatching(/AccessDeniedException/) }]);
    const delivered = server.accepted.map((entry) => nOf(entry.Detail)).sort((a, b) => a - b);
    expect(delivered).toEqual(Array.from({ length: 44 }, (_, n) => n));
  });

  it('refuses a maxInFlight it cannot use', () => {
    expect(() => new EventBridgePublisher({ client: server.client(), eventBusName: 'bus', source: 'src', maxInFlight: 0 })).toThrow(/maxInFlight/);
  });
});
