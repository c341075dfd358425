/**
 * The one windowed fetch loop: jobs are requested in pipelined windows bounded by count and by
 * LIST-size octets, so what is in flight at a deadline stays small (drained, then DELE and QUIT
 * fit the reserve). Jobs may be added while the loop runs (a re-fetch under the next generation,
 * a RETR decided by a filter's TOP).
 */
import { SyncError } from './errors.js';
import type { FetchedMessage, MailboxSession } from './ports.js';

/** One request of the loop. */
export interface WindowJob {
  msg: number;
  fetch: 'full' | 'headers';
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
  private readonly jobs: J[] = [];
  private next = 0;

  constructor(initial: readonly J[] = []) {
    this.jobs.push(...initial);
  }

  /** Adds a job at the end. */
  push(job: J): void {
    this.jobs.push(job);
  }

  /** True when jobs are left. */
  get pending(): boolean {
    return this.next < this.jobs.length;
  }

  /** Takes the next window of jobs (at least one). */
  take(limits: WindowLimits): J[] {
    const window: J[] = [];
    let bytes = 0;
    while (this.next < this.jobs.length && window.length < limits.maxMessages) {
      const job = this.jobs[this.next] as J;
      const cost = job.fetch === 'full' ? job.size : 0;
      if (window.length > 0 && bytes + cost > limits.maxBytes) break;
      bytes += cost;
      window.push(job);
      this.next += 1;
    }
    return window;
  }
}

/**
 * Yields each job with what the session fetched for it, window by window, until the queue is
 * empty or `shouldStop()` (checked between messages: the one in flight is finished by the caller,
 * the rest of the window is withdrawn). Each body must be consumed before the next is pulled.
 */
export async function* fetchJobs<J extends WindowJob>(
  session: MailboxSession,
  queue: FetchQueue<J>,
  limits: WindowLimits,
  shouldStop: () => boolean,
): AsyncGenerator<{ job: J; fetched: FetchedMessage }> {
  while (queue.pending && !shouldStop()) {
    const window = queue.take(limits);
    let index = 0;
    for await (const fetched of session.fetch(window.map((j) => ({ msg: j.msg, kind: j.fetch })))) {
      const job = window[index++];
      if (!job || job.msg !== fetched.msg) {
        throw new SyncError('SYNC_PORT_CONTRACT', `Mail source yielded message ${fetched.msg} out of request order`);
      }
      yield { job, fetched };
      if (shouldStop()) return;
    }
  }
}
