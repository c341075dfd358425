/**
 * Runs one poll per mailbox with bounded concurrency, through the same composition root as the
 * Lambda handler (lambda/compose/dependencies.ts) and the same sync core (lambda/sync/poll.ts).
 * A mailbox-level failure never stops the others; every mailbox gets a PollSummary.
 */
import { hostname } from 'node:os';
import type { Config, MailboxConfig } from '../config/schema.js';
import { toMailboxPolicy } from './policy.js';
import { buildPollDependencies } from './dependencies.js';
import { pollMailbox } from '../sync/poll.js';
import { errorInfo, newSummary, statusFor } from '../sync/summary.js';
import type { Logger } from '../sync/ports.js';
import type { PollProgress, PollSummary } from '../sync/types.js';
import { guideSource } from '../cli/guided-source.js';
import type { CliRuntime } from './services.js';

/** Options of {@link pollMailboxes}. */
export interface PollRunOptions {
  /** Local folder for messages, state and lease when no bucket is configured. */
  outDir: string;
  /** JSON-lines events file (default <outDir>/events.jsonl), or a stream (stdout). */
  eventsFile?: string;
  eventsStream?: NodeJS.WritableStream;
  /** Mailboxes polled at once. */
  concurrency: number;
  deadline?: Date;
  signal?: AbortSignal;
  logger: Logger;
  /** --retry-failed: messages set aside get another chance this poll. */
  retryFailed?: boolean;
  /** Called with the progress summed over every mailbox. */
  onProgress?: (progress: PollProgress) => void;
}

/** One mailbox's poll: its summary, and the error that ended it as thrown (for the advice). */
export interface MailboxRun {
  mailbox: MailboxConfig;
  summary: PollSummary;
  /** The last error of the mail source or of the set-up, with its cause chain; undefined when none. */
  error?: unknown;
}

/** Polls every mailbox of the config; resolves with one run per mailbox, in config order. */
export async function pollMailboxes(config: Config, runtime: CliRuntime, options: PollRunOptions): Promise<MailboxRun[]> {
  const mailboxes = config.mailboxes;
  const results: MailboxRun[] = new Array<MailboxRun>(mailboxes.length);
  const progress = new Map<string, PollProgress>();
  const owner = `cli:${hostname()}:${process.pid}`;
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < mailboxes.length; i = next++) {
      const mailbox = mailboxes[i] as MailboxConfig;
      results[i] = await pollOne(mailbox, config, runtime, options, owner, (p) => {
        progress.set(mailbox.id, p);
        options.onProgress?.(sumProgress(progress.values()));
      });
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency, mailboxes.length));
  await Promise.all(Array.from({ length: workers }, () => worker()));
  return results;
}

async function pollOne(
  mailbox: MailboxConfig,
  config: Config,
  runtime: CliRuntime,
  options: PollRunOptions,
  owner: string,
  onProgress: (p: PollProgress) => void,
): Promise<MailboxRun> {
  const startedAt = new Date();
  let sourceError: unknown;
  try {
    const local: { dir: string; eventsFile?: string; eventsStream?: NodeJS.WritableStream } = { dir: options.outDir };
    if (options.eventsStream) local.eventsStream = options.eventsStream;
    else local.eventsFile = options.eventsFile ?? `${options.outDir}/events.jsonl`;
    const deps = await buildPollDependencies(mailbox, config, {
      secrets: runtime.secrets,
      ...(runtime.s3 ? { s3: runtime.s3 } : {}),
      ...(runtime.eventBridge ? { eventBridge: runtime.eventBridge } : {}),
      local,
      logger: options.logger,
    });
    deps.source = guideSource(deps.source, mailbox, (error) => {
      sourceError = error;
    });
    // The core logs its summary (info, or warn when not ok); the CLI prints that summary itself,
    // so the dump is kept for --verbose.
    deps.logger = quietSummary(options.logger);
    const summary = await pollMailbox(toMailboxPolicy(mailbox, { retryFailed: options.retryFailed === true }), deps, {
      owner,
      onProgress,
      ...(options.deadline ? { deadline: options.deadline } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return { mailbox, summary, ...(summary.error && sourceError !== undefined ? { error: sourceError } : {}) };
  } catch (error) {
    // pollMailbox reports mailbox-level failures in its summary; this catches what happens
    // before it runs (an unreadable CA file, a store that cannot be built) so it is reported the same way.
    return { mailbox, summary: failedSummary(mailbox.id, startedAt, error), error };
  }
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

function quietSummary(logger: Logger): Logger {
  return {
    debug: (message, fields) => logger.debug(message, fields),
    info: (message, fields) => logger.debug(message, fields),
    warn: (message, fields) => (message === 'mailbox polled' ? logger.debug(message, fields) : logger.warn(message, fields)),
    error: (message, fields) => logger.error(message, fields),
  };
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
