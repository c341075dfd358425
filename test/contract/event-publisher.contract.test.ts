/**
 * One contract, three EventPublishers: the in-memory fake the sync-core tests use, the
 * JSON-lines file, and EventBridge through the real SDK over HTTP to a loopback PutEvents that
 * keeps EventBridge's limits. The core deletes a message only for an ok result, so: one result
 * per event, in input order; ok only for an event a consumer can read; every event delivered
 * once per publish (EventBridge itself keeps no order across requests, so neither may we rely on it).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBridgePublisher } from '../../lambda/adapters/eventbridge/publisher.js';
import { JsonLinesPublisher, type JsonLinesEnvelope } from '../../lambda/adapters/local/jsonl-publisher.js';
import type { EventPublisher, OutgoingEvent } from '../../lambda/sync/ports.js';
import { startFakeEventBridgeServer, type FakeEventBridgeServer } from '../adapters/fake-eventbridge-server.js';
import { Faults } from '../support/faults.js';
import { MemoryPublisher } from '../support/memory-stores.js';
import { useTempDir } from '../support/temp-dir.js';

/** A publisher under test and the `n` of every event a consumer has received. */
interface Subject {
  publisher: EventPublisher;
  delivered(): Promise<number[]>;
}

let eventBridge: FakeEventBridgeServer;
beforeAll(async () => {
  eventBridge = await startFakeEventBridgeServer();
});
afterAll(async () => {
  await eventBridge.stop();
});

function events(from: number, count: number): OutgoingEvent[] {
  return Array.from({ length: count }, (_, i) => ({ id: `evt-${from + i}`, detailType: 'Message Stored', detail: { n: from + i, pad: 'x'.repeat(200) } }));
}

const subjects: [string, (dir: string) => Subject][] = [
  ['memory', () => {
    const publisher = new MemoryPublisher({ faults: new Faults() });
    return { publisher, delivered: async () => publisher.delivered.map((event) => event.detail.n as number) };
  }],
  ['jsonl', (dir) => {
    const file = join(dir, 'events.jsonl');
    return {
      publisher: new JsonLinesPublisher({ file, source: 'pop3-ingest' }),
      delivered: async () => {
        const text = await readFile(file, 'utf8').catch(() => '');
        return text.split('\n').filter((line) => line !== '').map((line) => (JSON.parse(line) as JsonLinesEnvelope).detail.n as number);
      },
    };
  }],
  ['eventbridge', () => {
    eventBridge.accepted.length = 0;
    eventBridge.refuse = () => undefined;
    return {
      publisher: new EventBridgePublisher({ client: eventBridge.client(), eventBusName: 'bus', source: 'pop3-ingest', baseDelayMs: 1 }),
      delivered: async () => eventBridge.accepted.map((entry) => (JSON.parse(entry.Detail ?? '{}') as { n: number }).n),
    };
  }],
];

describe.each(subjects)('EventPublisher contract: %s', (_name, make) => {
  const dir = useTempDir('publisher-contract-');

  it('answers one ok result per event, in input order, and delivers each event once', async () => {
    const subject = make(dir());
    const batch = events(0, 37);

    const results = await subject.publisher.publish(batch);

    expect(results).toEqual(batch.map((event) => ({ id: event.id, ok: true })));
    expect((await subject.delivered()).sort((a, b) => a - b)).toEqual(batch.map((event) => event.detail.n));
  });

  it('answers ok:false for the one event that cannot be sent, and ok for the others around it', async () => {
    const subject = make(dir());
    const batch = [...events(0, 2), { id: 'bad', detailType: 'Message Stored', detail: { n: 99, big: 1n } }, ...events(2, 12)];

    const results = await subject.publisher.publish(batch);

    expect(results.map((result) => result.id)).toEqual(batch.map((event) => event.id));
    expect(results.filter((result) => !result.ok).map((result) => result.id)).toEqual(['bad']);
    expect((await subject.delivered()).sort((a, b) => a - b)).toEqual(events(0, 14).map((event) => event.detail.n));
  });

  it('answers nothing and delivers nothing for no events', async () => {
    const subject = make(dir());

    expect(await subject.publisher.publish([])).toEqual([]);
    expect(await subject.delivered()).toEqual([]);
  });

  it('keeps each of two overlapping publish() calls\' results in its own input order', async () => {
    const subject = make(dir());
    const first = events(0, 15);
    const second = events(100, 15);

    const [a, b] = await Promise.all([subject.publisher.publish(first), subject.publisher.publish(second)]);

    expect(a.map((result) => result.id)).toEqual(first.map((event) => event.id));
    expect(b.map((result) => result.id)).toEqual(second.map((event) => event.id));
    expect([...a, ...b].every((result) => result.ok)).toBe(true);
    expect((await subject.delivered()).sort((x, y) => x - y)).toEqual([...first, ...second].map((event) => event.detail.n));
  });
});
