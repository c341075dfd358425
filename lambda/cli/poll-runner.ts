/**
 * Runs one poll per mailbox with bounded concurrency, through the same composition root as the
 * Lambda handler (lambda/config/wiring.ts) and the same sync core (lambda/sync/poll.ts).
 * A mailbox-level failure never stops the others; every mailbox gets a PollSummary.
 */
import { hostname } from 'node:os';
import type { Config, MailboxConfig } from '../config/schema.js';
import { toMailboxPolicy } from '../config/mapping.js';
import { buildPollDependencies } from '../config/wiring.js';
import { pollMailbox } from '../sync/poll.js';
import { errorInfo, newSummary, statusFor } from '../sync/summary.js';
import type { Logger } from '../sync/ports.js';
import type { PollProgress, PollSummary } from '../sync/types.js';
import type { CliRuntime } from './runtime.js';

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
  /** Called with the progress summed over every mailbox. */
  onProgress?: (progress: PollProgress) => void;
}

/** Polls every mailbox of the config; resolves with one summary per mailbox, in config order. */
export async function pollMailboxes(config: Config, runtime: CliRuntime, options: PollRunOptions): Promise<PollSummary[]> {
  const mailboxes = config.mailboxes;
  const results: PollSummary[] = new Array<PollSummary>(mailboxes.length);
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
): Promise<PollSummary> {
  const startedAt = new Date();
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
    // The core logs its summary at info; the CLI prints that summary itself, so keep it for --verbose.
    deps.logger = demoteInfo(options.logger);
    return await pollMailbox(toMailboxPolicy(mailbox), deps, {
      owner,
      onProgress,
      ...(options.deadline ? { deadline: options.deadline } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    // pollMailbox reports mailbox-level failures in its summary; this catches what happens
    // before it runs (a missing secret, an unreadable CA file) so it is reported the same way.
    return failedSummary(mailbox.id, startedAt, error);
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

function demoteInfo(logger: Logger): Logger {
  return {
    debug: (message, fields) => logger.debug(message, fields),
    info: (message, fields) => logger.debug(message, fields),
    warn: (message, fields) => logger.warn(message, fields),
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
