/**
 * The one fetch loop: jobs are requested lazily, as the session's pipeline wants them, bounded
 * by count and by LIST-size octets requested but not yet handed out, so what is in flight at a
 * deadline stays small (drained, then DELE and QUIT fit the reserve). The window slides: there
 * is no round trip between windows (a session that asks again after a "not now" keeps its
 * pipeline full). Jobs may be added while the loop runs (a re-fetch under the next generation,
 * a RETR decided by a filter's TOP).
 */
import { SyncError } from './errors.js';
import type { MessageKind } from './keys.js';
import type { FetchedMessage, FetchRequest, MailboxSession } from './ports.js';

/** One request of the loop. */
export interface WindowJob {
  msg: number;
  fetch: MessageKind;
  /** LIST size (a hint), for the byte bound; TOP counts as small. */
  size: number;
}

/** Bounds of one window. */
export interface WindowLimits {
  maxMessages: number;
  maxBytes: number;
}

/** A FIFO of jobs that the loop drains, accepting new jobs while it runs. */
export class FetchQueue<J extends WindowJob> {
  private readonly jobs: J[];
  private next = 0;

  constructor(initial: readonly J[] = []) {
    // A copy, not push(...initial): a first import plans hundreds of thousands of jobs, past
    // the engine's limit on call arguments (RangeError: Maximum call stack size exceeded).
    this.jobs = initial.slice();
  }

  /** Adds a job at the end. */
  push(job: J): void {
    this.jobs.push(job);
  }

  /** True when jobs are left. */
  get pending(): boolean {
    return this.next < this.jobs.length;
  }

  /** Takes the next job if it fits `room` (the first of a window always fits). */
  takeIf(fits: (job: J) => boolean): J | undefined {
    const job = this.jobs[this.next];
    if (job === undefined || !fits(job)) return undefined;
    this.next += 1;
    return job;
  }
}

/**
 * Yields each job with what the session fetched for it until the queue is empty or
 * `shouldStop()` (checked between messages: the one in flight is finished by the caller, the
 * rest requested is withdrawn). Each body must be consumed before the next is pulled. The
 * session pulls requests lazily; one that would pass the limits is "done for now" (a session
 * that asks again gets it later, one that does not ends the call and the loop starts another).
 */
export async function* fetchJobs<J extends WindowJob>(
  session: MailboxSession,
  queue: FetchQueue<J>,
  limits: WindowLimits,
  shouldStop: () => boolean,
): AsyncGenerator<{ job: J; fetched: FetchedMessage }> {
  while (queue.pending && !shouldStop()) {
    // Requested, not yet handed out: what the limits bound.
    const requested: J[] = [];
    let head = 0;
    let bytes = 0;
    // Hysteresis: once full, wait until half is handed out, then refill in one go, so the
    // commands leave in one write instead of one TLS record per message consumed.
    let full = false;
    const fits = (job: J): boolean => {
      const count = requested.length - head;
      if (count === 0) return true;
      if (full && (count > limits.maxMessages / 2 || bytes > limits.maxBytes / 2)) return false;
      full = count >= limits.maxMessages || bytes + cost(job) > limits.maxBytes;
      return !full;
    };
    const requests: Iterable<FetchRequest> = {
      [Symbol.iterator]: () => ({
        next: (): IteratorResult<FetchRequest> => {
          const job = shouldStop() ? undefined : queue.takeIf(fits);
          if (job === undefined) return { done: true, value: undefined };
          requested.push(job);
          bytes += cost(job);
          return { done: false, value: { msg: job.msg, kind: job.fetch } };
        },
      }),
    };
    for await (const fetched of session.fetch(requests)) {
      const job = requested[head];
      if (!job || job.msg !== fetched.msg) {
        throw new SyncError('SYNC_PORT_CONTRACT', `Mail source yielded message ${fetched.msg} out of request order`);
      }
      requested[head++] = undefined as unknown as J;
      bytes -= cost(job);
      yield { job, fetched };
      if (shouldStop()) return;
    }
  }
}

function cost(job: WindowJob): number {
  return job.fetch === 'full' ? job.size : 0;
}
