/**
 * Bounded concurrency for stores: reading from POP3 never waits for one store, yet memory stays
 * bounded by a count and a byte budget of bodies in flight. A task's failure is kept and
 * rethrown by drain(); later admissions fail fast so the reader stops.
 */

/** Limits of one pipeline. */
export interface StorePipelineLimits {
  /** Tasks in flight at once. */
  maxTasks: number;
  /** Octets held by tasks in flight; one task is always admitted, whatever its size. */
  maxBytes: number;
}

/** Runs store tasks in the background within the limits. */
export class StorePipeline {
  private readonly running = new Set<Promise<void>>();
  private bytes = 0;
  private failure: { error: unknown } | undefined;

  constructor(private readonly limits: StorePipelineLimits) {}

  /** The first task failure, if any. */
  get failed(): { error: unknown } | undefined {
    return this.failure;
  }

  /** Waits until a task of `bytes` octets fits. Throws the first task failure. */
  async admit(bytes: number): Promise<void> {
    while (this.running.size > 0 && (this.running.size >= this.limits.maxTasks || this.bytes + bytes > this.limits.maxBytes)) {
      await Promise.race(this.running);
    }
    if (this.failure) throw this.failure.error;
  }

  /** Starts `task` holding `bytes` octets until it settles. Call admit() first. */
  run(bytes: number, task: () => Promise<void>): void {
    this.bytes += bytes;
    const settled = task().then(
      () => undefined,
      (error: unknown) => {
        this.failure ??= { error };
      },
    ).finally(() => {
      this.bytes -= bytes;
      this.running.delete(settled);
    });
    this.running.add(settled);
  }

  /** Waits for every task; throws the first failure. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.race(this.running);
    if (this.failure) throw this.failure.error;
  }
}
