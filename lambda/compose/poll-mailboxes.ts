/**
 * Polls many mailboxes with bounded concurrency, for the Lambda handler and the CLI alike:
 * the ports from dependencies.ts, the sync core's pollMailbox, and one rule for a mailbox whose
 * poll could not start (classified like the core's own failures, see failedSummary).
 * A mailbox-level failure never stops the others; every mailbox gets a PollSummary.
 */
import { hostname } from 'node:os';
import type { MailboxConfig } from '../config/schema.js';
import type { Config } from '../config/schema.js';
import { pollMailbox } from '../sync/poll.js';
import { errorInfo, newSummary, statusFor } from '../sync/summary.js';
import type { Logger, MailSource } from '../sync/ports.js';
import type { PollProgress, PollSummary } from '../sync/types.js';
import { buildPollDependencies, type WiringRuntime } from './dependencies.js';
import { responseCodeOf } from './observed-source.js';
import { toMailboxPolicy } from './policy.js';
import type { PollServices } from './services.js';

/** Options of {@link pollMailboxes}. */
export interface PollRunOptions {
  /** Local folder for messages, state and lease when no bucket is configured (CLI). */
  outDir?: string;
  /** JSON-lines events file (default <outDir>/events.jsonl), or a stream (stdout). */
  eventsFile?: string;
  eventsStream?: NodeJS.WritableStream;
  /** Mailboxes polled at once. */
  concurrency: number;
  /** Which mailboxes, in this order (default: every mailbox of the config). */
  mailboxes?: readonly MailboxConfig[];
  /** Who holds the lease (default: this host and process). */
  owner?: string;
  deadline?: Date;
  /** DELE and QUIT done by then (PollOptions.finishBy): when `signal` aborts the sessions. */
  finishBy?: Date;
  signal?: AbortSignal;
  /** The logger of the adapters (and of the core unless `coreLogger` says otherwise), or one per mailbox. */
  logger: Logger | ((mailbox: MailboxConfig) => Logger);
  /** The core's logger, from the mailbox's logger (the CLI quietens the core's summary line). */
  coreLogger?: (logger: Logger) => Logger;
  /** --retry-failed: messages set aside get another chance this poll. */
  retryFailed?: boolean;
  /** Called with the progress summed over every mailbox. */
  onProgress?: (progress: PollProgress) => void;
  /** Wraps a mailbox's mail source; `seen` takes each error open() ends with (the CLI's guided source). */
  wrapSource?: (source: MailSource, mailbox: MailboxConfig, seen: (error: unknown) => void) => MailSource;
  /**
   * After a poll that failed to authenticate: says whether one more poll can succeed (and
   * invalidates what it must). Without it, no second attempt.
   */
  retryAuth?: (mailbox: MailboxConfig, logger: Logger) => Promise<boolean>;
  /** Collect the response codes of the mail source's errors into MailboxRun.responseCodes (the handler's metrics). */
  countResponseCodes?: boolean;
  /** Called as each mailbox's poll ends (the handler records its metrics). */
  onFinished?: (run: MailboxRun) => void;
}

/** One mailbox's poll: its summary, and the error that ended it as thrown (for the advice). */
export interface MailboxRun {
  mailbox: MailboxConfig;
  summary: PollSummary;
  /** The last error of the mail source or of the set-up, with its cause chain; undefined when none. */
  error?: unknown;
  /** True when the poll could not start (the wiring failed: a CA file, a store, a missing target). */
  notStarted?: true;
  /** RFC 2449 / RFC 3206 response codes the mail source's errors carried in the final attempt (with countResponseCodes). */
  responseCodes: string[];
}

/** Services the poll needs beyond the config: a PollServices, plus what a long-lived container keeps. */
export type PollRunServices = Pick<PollServices, 'secrets' | 'ports' | 's3' | 'eventBridge'> & Pick<WiringRuntime, 'oauth' | 'clock'>;

/** Polls the mailboxes; resolves with one run per mailbox, in order. */
export async function pollMailboxes(config: Config, services: PollRunServices, options: PollRunOptions): Promise<MailboxRun[]> {
  const mailboxes = options.mailboxes ?? config.mailboxes;
  const progress = new Map<string, PollProgress>();
  const owner = options.owner ?? `cli:${hostname()}:${process.pid}`;
  return mapBounded(mailboxes, options.concurrency, (mailbox) =>
    pollOne(mailbox, config, services, options, owner, (p) => {
      progress.set(mailbox.id, p);
      options.onProgress?.(sumProgress(progress.values()));
    }),
  );
}

/** A summary for a mailbox whose poll could not start, built and classified like the core's own. */
export function failedSummary(mailboxId: string, startedAt: Date, error: unknown): PollSummary {
  return {
    ...newSummary(mailboxId, startedAt),
    status: statusFor(error),
    durationMs: Date.now() - startedAt.getTime(),
    error: errorInfo(error),
  };
}

// ---------------------------------------------------------------------------------------------

async function pollOne(
  mailbox: MailboxConfig,
  config: Config,
  services: PollRunServices,
  options: PollRunOptions,
  owner: string,
  onProgress: (p: PollProgress) => void,
): Promise<MailboxRun> {
  const startedAt = new Date();
  const logger = typeof options.logger === 'function' ? options.logger(mailbox) : options.logger;
  const responseCodes: string[] = [];
  let sourceError: unknown;
  let run: MailboxRun;
  try {
    const deps = await buildPollDependencies(mailbox, config, {
      secrets: services.secrets,
      ports: services.ports,
      ...(services.oauth ? { oauth: services.oauth } : {}),
      ...(services.s3 ? { s3: services.s3 } : {}),
      ...(services.eventBridge ? { eventBridge: services.eventBridge } : {}),
      ...(services.clock ? { clock: services.clock } : {}),
      ...(options.outDir === undefined ? {} : { local: localTargets(options.outDir, options) }),
      logger,
      ...(options.countResponseCodes
        ? {
            onSourceError: (error: unknown) => {
              const code = responseCodeOf(error);
              if (code !== undefined) responseCodes.push(code);
            },
          }
        : {}),
    });
    if (options.wrapSource) {
      deps.source = options.wrapSource(deps.source, mailbox, (error) => {
        sourceError = error;
      });
    }
    if (options.coreLogger) deps.logger = options.coreLogger(logger);
    const policy = toMailboxPolicy(mailbox, { retryFailed: options.retryFailed === true });
    const pollOptions = {
      owner,
      onProgress,
      ...(options.deadline ? { deadline: options.deadline } : {}),
      ...(options.finishBy ? { finishBy: options.finishBy } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    };
    let summary = await pollMailbox(policy, deps, pollOptions);
    if (summary.status === 'failed' && summary.error?.category === 'auth' && options.retryAuth && (await options.retryAuth(mailbox, logger))) {
      // Only the final outcome counts (an alarm must not fire on a token a refresh fixed):
      // what the first attempt saw is dropped with it.
      responseCodes.length = 0;
      sourceError = undefined;
      logger.warn('authentication failed; retrying once with the secret read afresh', { errorCode: summary.error.code });
      summary = await pollMailbox(policy, deps, pollOptions);
    }
    run = { mailbox, summary, responseCodes, ...(summary.error && sourceError !== undefined ? { error: sourceError } : {}) };
  } catch (error) {
    // pollMailbox reports mailbox-level failures in its summary; this catches what happens
    // before it runs (an unreadable CA file, a store that cannot be built) so it is reported the same way.
    run = { mailbox, summary: failedSummary(mailbox.id, startedAt, error), error, notStarted: true, responseCodes };
  }
  options.onFinished?.(run);
  return run;
}

function localTargets(dir: string, options: PollRunOptions): NonNullable<WiringRuntime['local']> {
  if (options.eventsStream) return { dir, eventsStream: options.eventsStream };
  return { dir, eventsFile: options.eventsFile ?? `${dir}/events.jsonl` };
}

function sumProgress(all: Iterable<PollProgress>): PollProgress {
  const sum: PollProgress = { messagesDone: 0, messagesPlanned: 0, bytesDone: 0 };
  for (const p of all) {
    sum.messagesDone += p.messagesDone;
    sum.messagesPlanned += p.messagesPlanned;
    sum.bytesDone += p.bytesDone;
  }
  return sum;
}

/** Maps with at most `limit` calls in flight; results in input order. */
async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, () => worker()));
  return results;
}
