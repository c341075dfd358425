/**
 * The fault plan shared by the in-memory sync ports: each port calls `hit(point)` and fails on
 * the Nth call as planned.
 *
 * Three failure modes, so the crash matrix can tell them apart:
 * - 'error': the call throws, everything else keeps working (a -ERR, an S3 500).
 * - 'drop':  a session call throws ECONNRESET and the session is dead (no QUIT possible).
 * - 'kill':  the process dies: the call throws and from then on EVERY port call throws
 *            without effect (no QUIT, no release, no save). The world survives for the rerun.
 * 'publish-entry' refuses one entry of a batch (ok: false), the others are delivered.
 * Points ending in '-after' fail after the effect happened (object durable, events delivered,
 * state written, deletions committed) but before the caller hears about it.
 */
import { IngestError } from '../../lambda/shared/errors.js';

/** Every place a memory port can be told to fail. */
export type FaultPoint =
  | 'lease'
  | 'lease-renew'
  | 'open'
  | 'list'
  | 'fetch'
  | 'body'
  | 'store'
  | 'store-after'
  | 'parsed-put'
  | 'publish'
  | 'publish-after'
  | 'publish-entry'
  | 'state-load'
  | 'state-save'
  | 'state-save-after'
  | 'state-segment-put'
  | 'state-segment-put-after'
  | 'state-segment-get'
  | 'state-segment-delete'
  | 'dele'
  | 'quit'
  | 'quit-after';

/** How a planned fault behaves. */
export type FaultMode = 'error' | 'drop' | 'kill';

/** Thrown by every port once the simulated process was killed. */
export class KilledError extends Error {
  constructor() {
    super('process killed (simulated)');
  }
}

/** Counts calls per point and fires planned faults. Replace it (world.faults = new Faults()) to rerun clean. */
export class Faults {
  killed = false;
  readonly calls = new Map<FaultPoint, number>();
  private readonly plans = new Map<FaultPoint, { n: number; mode: FaultMode }>();

  /** Fail the `n`th (1-based) call at `point`. */
  failOn(point: FaultPoint, n: number, mode: FaultMode = 'error'): this {
    this.plans.set(point, { n, mode });
    return this;
  }

  /** Called by ports before/after an effect; throws when a fault fires or after a kill. */
  hit(point: FaultPoint, onDrop?: () => void): void {
    if (this.killed) throw new KilledError();
    const count = (this.calls.get(point) ?? 0) + 1;
    this.calls.set(point, count);
    const plan = this.plans.get(point);
    if (!plan || plan.n !== count) return;
    if (plan.mode === 'kill') {
      this.killed = true;
      onDrop?.();
      throw new KilledError();
    }
    if (plan.mode === 'drop') {
      onDrop?.();
      throw Object.assign(new Error(`connection dropped at ${point}`), { code: 'ECONNRESET' });
    }
    throw new IngestError('TEST_FAULT', 'transient', `injected failure at ${point} #${count}`);
  }

  /** True once `point` fired its planned fault (the poll really reached it). */
  fired(point: FaultPoint): boolean {
    const plan = this.plans.get(point);
    return plan !== undefined && (this.calls.get(point) ?? 0) >= plan.n;
  }
}
