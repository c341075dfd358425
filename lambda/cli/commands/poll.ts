/**
 * `pop3-ingest poll`: one mailbox by flags, or every mailbox of --config FILE.
 */
import { resolve } from 'node:path';
import { findMailbox, type Config } from '../../config/schema.js';
import type { PollSummary } from '../../sync/types.js';
import { booleanFlag, integerFlag, parseCommandArgs, stringFlag } from '../args.js';
import { usageError } from '../errors.js';
import { ExitCode, exitCodeForSummary, worstExitCode, type ExitCodeValue } from '../exit-codes.js';
import { configFromFlags } from '../flags-config.js';
import { formatSummary, formatTotals } from '../format-summary.js';
import { CliLogger, logLevelFrom, writeResult } from '../output.js';
import { pollMailboxes } from '../poll-runner.js';
import { ProgressLine } from '../progress.js';
import { createCliRuntime } from '../runtime.js';
import { POLL_SPEC } from './specs.js';

/** Default local output folder. */
export const DEFAULT_OUT_DIR = './pop3-ingest-out';
const DEFAULT_CONCURRENCY = 4;

/** Runs `pop3-ingest poll`; resolves with the exit code. */
export async function runPoll(argv: readonly string[]): Promise<ExitCodeValue> {
  const values = parseCommandArgs(argv, POLL_SPEC);
  const json = booleanFlag(values, 'json');
  const logger = new CliLogger({ level: logLevelFrom({ verbose: booleanFlag(values, 'verbose'), quiet: booleanFlag(values, 'quiet') }), json });
  let config = configFromFlags(values, { requireLogin: true });
  const only = stringFlag(values, 'mailbox');
  if (only !== undefined) config = { ...config, mailboxes: [findMailbox(config, only)] };
  const concurrency = integerFlag(values, 'concurrency', { min: 1, max: 64 }) ?? DEFAULT_CONCURRENCY;
  const timeLimit = integerFlag(values, 'time-limit', { min: 1, max: 7 * 24 * 3600 });
  const outDir = resolve(stringFlag(values, 'out') ?? DEFAULT_OUT_DIR);
  const events = stringFlag(values, 'events');
  if (events === '-' && json) throw usageError('--events - (stdout) cannot be combined with --json: both write to stdout');
  if (events !== undefined && config.events.busName !== undefined) throw usageError('--events and --event-bus (or events.busName) exclude each other');

  const runtime = await createCliRuntime(config);
  const progress = new ProgressLine({ enabled: (process.stderr.isTTY ?? false) && !booleanFlag(values, 'quiet') });
  logger.beforeWrite = () => progress.clear();
  const abort = interruptController(logger);
  let summaries: PollSummary[];
  try {
    logStart(config, outDir, logger);
    summaries = await pollMailboxes(config, runtime, {
      outDir,
      ...(events === '-' ? { eventsStream: process.stdout } : events === undefined ? {} : { eventsFile: resolve(events) }),
      concurrency,
      ...(timeLimit === undefined ? {} : { deadline: new Date(Date.now() + timeLimit * 1000) }),
      signal: abort.signal,
      logger,
      onProgress: (p) => progress.update(p),
    });
  } finally {
    progress.clear();
    abort.dispose();
    runtime.close();
  }

  const exitCode = abort.signal.aborted ? ExitCode.INTERRUPTED : worstExitCode(summaries.map(exitCodeForSummary));
  const document = {
    ok: exitCode === 0,
    exitCode,
    ...(config.storage.bucket === undefined ? { outDir } : { bucket: config.storage.bucket }),
    mailboxes: summaries,
  };
  // With --events - stdout carries only the JSON lines (pipe it to jq); the summary goes to stderr.
  writeResult(
    json,
    document,
    () => {
      const text = summaries.map(formatSummary).join('');
      return summaries.length > 1 ? `${text}${formatTotals(summaries)}` : text;
    },
    events === '-' ? process.stderr : process.stdout,
  );
  return exitCode;
}

function logStart(config: Config, outDir: string, logger: CliLogger): void {
  const store = config.storage.bucket === undefined ? `folder ${outDir}` : `s3://${config.storage.bucket}/${config.storage.prefix}`;
  const events = config.events.busName === undefined ? 'JSON lines' : `EventBridge bus ${config.events.busName}`;
  logger.debug('polling', { mailboxes: config.mailboxes.map((m) => m.id), store, events });
}

/**
 * Ctrl-C aborts the poll: the session is dropped without QUIT, so no deletion is committed
 * (RFC 1939 section 6) and what was stored and published stays recorded. A second Ctrl-C exits.
 */
function interruptController(logger: CliLogger): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(130);
    logger.warn('interrupted: stopping without committing deletions (Ctrl-C again to exit now)');
    controller.abort(new Error('interrupted'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
