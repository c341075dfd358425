/**
 * In-memory implementations of every sync port, each able to fail on the Nth call, gathered
 * around one mailbox as a MemoryWorld. The fault plan (and its three failure modes) lives in
 * faults.ts, the clock in fake-clock.ts, the mail source in memory-mail-source.ts and the other
 * ports in memory-stores.ts; this module re-exports them so tests import from one place.
 */
import type { PollDependencies } from '../../lambda/sync/types.js';
import { FakeClock } from './fake-clock.js';
import { Faults } from './faults.js';
import { MemoryMailbox, MemoryMailSource } from './memory-mail-source.js';
import { MemoryLeaseStore, MemoryParsedStore, MemoryPublisher, MemoryStateStore, MemoryStore } from './memory-stores.js';

export { FakeClock } from './fake-clock.js';
export { Faults, KilledError, type FaultMode, type FaultPoint } from './faults.js';
export { MemoryMailbox, MemoryMailSource, type ServerMessage } from './memory-mail-source.js';
export { MemoryLeaseStore, MemoryParsedStore, MemoryPublisher, MemoryStateStore, MemoryStore, type ParsedEntry, type StoredEntry } from './memory-stores.js';

/** Every memory port around one mailbox, sharing one fault plan and clock. */
export class MemoryWorld {
  faults = new Faults();
  readonly clock = new FakeClock();
  readonly mailbox = new MemoryMailbox();
  readonly source = new MemoryMailSource(this.mailbox, this);
  readonly store = new MemoryStore(this);
  readonly parsed = new MemoryParsedStore(this, this.store);
  readonly publisher = new MemoryPublisher(this);
  readonly state = new MemoryStateStore(this);
  readonly lease = new MemoryLeaseStore(this, this.clock);

  /** Ports for pollMailbox. */
  deps(): PollDependencies {
    return { source: this.source, store: this.store, publisher: this.publisher, state: this.state, lease: this.lease, parsed: this.parsed, clock: this.clock };
  }

  /** Starts over with no faults (after a simulated crash), the lease expired. */
  recover(): void {
    this.faults = new Faults();
    this.clock.advance(24 * 60 * 60 * 1000);
  }
}

/** A small RFC 5322 message. */
export function mailText(n: number, extra = ''): string {
  return (
    `Message-ID: <m${n}@example.test>\r\nFrom: Sender ${n} <s${n}@example.test>\r\nTo: rcpt@example.test\r\n` +
    `Subject: message ${n}\r\nDate: Thu, 1 Jan 2026 00:00:00 +0000\r\n${extra}\r\nBody of message ${n}.\r\n.. dot line\r\n`
  );
}
