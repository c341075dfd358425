/**
 * A controllable clock for the sync core and the lease stores.
 */
import type { Clock } from '../../lambda/sync/ports.js';

/** A controllable clock. `step` advances it on every now() call (for deadlines). */
export class FakeClock implements Clock {
  step = 0;
  constructor(private current = Date.parse('2026-01-01T00:00:00Z')) {}
  now(): Date {
    const d = new Date(this.current);
    this.current += this.step;
    return d;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}
