/**
 * `pop3-ingest poll`: one mailbox by flags, or every mailbox of --config FILE.
 */
import { dirname, join, resolve } from 'node:path';
import { readCaFile } from '../../compose/connect-options.js';
import { CONFIG_DEFAULTS } from '../../config/defaults.js';
import { findMailbox } from '../../config/find-mailbox.js';
import type { Config, MailboxConfig } from '../../config/schema.js';
import { fixFor } from '../advice.js';
import { booleanFlag, integerFlag, parseCommandArgs, stringFlag, type FlagValues } from '../args.js';
import { usageError } from '../errors.js';
import { ExitCode, exitCodeForSummary, worstExitCode, type ExitCodeValue } from '../exit-codes.js';
import { configFromFlags, defaultMailboxId } from '../flags-config.js';
import { formatDestinations, formatSummary, formatTotals, type Destinations, type FailureAdvice } from '../format-summary.js';
import { interruptController } from '../interrupt.js';
import { checkOutDir } from '../out-dir.js';
import { CliLogger, logLevelFrom, writeResult } from '../output.js';
import { pollMailboxes, type MailboxRun } from '../../compose/poll-mailboxes.js';
import { ProgressLine } from '../progress.js';
import { createCliRuntime } from '../../compose/services.js';
import { CLI_POLL_HOOKS } from '../poll-hooks.js';
import { POLL_SPEC } from './specs.js';

/** Default local output folder. */
export const DEFAULT_OUT_DIR = './pop3-ingest-out';

/** Runs `pop3-ingest poll`; resolves with the exit code. */
export async function runPoll(argv: readonly string[]): Promise<ExitCodeValue> {
  const values = parseCommandArgs(argv, POLL_SPEC);
  const json = booleanFlag(values, 'json');
  const quiet = booleanFlag(values, 'quiet');
  const logger = new CliLogger({ level: logLevelFrom({ verbose: booleanFlag(values, 'verbose'), quiet }), json });
  const outDir = resolve(stringFlag(values, 'out') ?? DEFAULT_OUT_DIR);
  let config = await configFromFlags(values, { requireLogin: true, defaultMailboxId: defaultMailboxId(outDir) });
  const only = stringFlag(values, 'mailbox');
  if (only !== undefined) config = { ...config, mailboxes: [findMailbox(config, only)] };
  const concurrency = integerFlag(values, 'concurrency', { min: 1, max: 64 }) ?? CONFIG_DEFAULTS.concurrency;
  const timeLimit = integerFlag(values, 'time-limit', { min: 1, max: 7 * 24 * 3600 });
  const events = stringFlag(values, 'events');
  if (events === '-' && json) throw usageError('--events - (stdout) cannot be combined with --json: both write to stdout');
  if (events !== undefined && config.events.busName !== undefined) throw usageError('--events and --event-bus (or events.busName) exclude each other');

  // Before any connection: what would otherwise fail after login, or on every poll.
  if (config.storage.bucket === undefined) await checkOutDir(outDir);
  if (events !== undefined && events !== '-' && config.events.busName === undefined) await checkOutDir(dirname(resolve(events)), '--events');
  for (const m of config.mailboxes) await readCaFile(m);
  warnPlaintext(config.mailboxes, logger);

  const runtime = await createCliRuntime(config);
  const progress = new ProgressLine({ enabled: (process.stderr.isTTY ?? false) && !quiet && !json, lines: booleanFlag(values, 'progress') });
  logger.beforeWrite = () => progress.clear();
  const abort = interruptController(logger);
  let runs: MailboxRun[];
  try {
    logger.debug('polling', { mailboxes: config.mailboxes.map((m) => m.id), ...destinations(config, outDir, events) });
    runs = await pollMailboxes(config, runtime, {
      ...CLI_POLL_HOOKS,
      outDir,
      ...(events === '-' ? { eventsStream: process.stdout } : events === undefined ? {} : { eventsFile: resolve(events) }),
      concurrency,
      ...(timeLimit === undefined ? {} : { deadline: new Date(Date.now() + timeLimit * 1000) }),
      signal: abort.signal,
      logger,
      retryFailed: booleanFlag(values, 'retry-failed'),
      onProgress: (p) => progress.update(p),
    });
  } catch (error) {
    abort.dispose();
    throw error;
  } finally {
    progress.clear();
    runtime.close();
  }

  const summaries = runs.map((r) => r.summary);
  const exitCode = abort.signal.aborted ? ExitCode.INTERRUPTED : worstExitCode(summaries.map(exitCodeForSummary));
  const where = destinations(config, outDir, events);
  const advice = runs.map((r) => adviceFor(r, values));
  const document = {
    ok: exitCode === 0,
    exitCode,
    ...(config.storage.bucket === undefined ? { outDir } : { bucket: config.storage.bucket }),
    destinations: where,
    mailboxes: runs.map((r, i) => ({ ...r.summary, ...(r.summary.error ? { advice: advice[i] } : {}) })),
  };
  // With --events - stdout carries only the JSON lines (pipe it to jq); the summary goes to stderr.
  writeResult(
    json,
    document,
    () => {
      const text = runs.map((r, i) => formatSummary(r.summary, advice[i])).join('');
      const totals = summaries.length > 1 ? formatTotals(summaries) : '';
      const anyWork = summaries.some((s) => s.status !== 'failed' || s.stored + s.published > 0);
      return `${text}${totals}${anyWork ? formatDestinations(where) : ''}`;
    },
    events === '-' ? process.stderr : process.stdout,
  );
  // Only now: a repeated Ctrl-C must not end the process before the summary is out.
  abort.dispose();
  return exitCode;
}

/** Where messages, events and state go for this run (shown in the summary and --json). */
function destinations(config: Config, outDir: string, events: string | undefined): Destinations {
  const bucket = config.storage.bucket;
  return {
    messages: bucket === undefined ? join(outDir, config.storage.prefix) : `s3://${bucket}/${config.storage.prefix}`,
    events:
      config.events.busName !== undefined
        ? `EventBridge bus ${config.events.busName}`
        : events === '-'
          ? 'stdout'
          : events !== undefined
            ? resolve(events)
            : join(outDir, 'events.jsonl'),
    state: bucket === undefined ? join(outDir, '.state') : `s3://${bucket}/${config.storage.statePrefix}state/`,
  };
}

/** The fix for a failed mailbox, the server's own words, and the `check` command to run next. */
function adviceFor(run: MailboxRun, values: FlagValues): FailureAdvice {
  const error = run.summary.error;
  if (!error) return {};
  const m = run.mailbox;
  const target = { host: m.host, port: m.port, tls: m.tls.mode };
  const advice: FailureAdvice = {};
  const fix = fixFor(error, target);
  if (fix !== undefined) advice.fix = fix;
  const raw = run.error as { serverText?: unknown; command?: unknown } | undefined;
  if (typeof raw?.serverText === 'string' && raw.serverText !== '') {
    advice.server = `"${raw.serverText}"${typeof raw.command === 'string' ? ` (to ${raw.command.replace(/ \*\*\*\*$/, '')})` : ''}`;
  }
  if (checkHelps(error.code)) advice.check = checkCommand(m, values, error.category === 'auth');
  return advice;
}

/** Connection, TLS and login failures are what `check` diagnoses; secrets, state and usage errors are not. */
function checkHelps(code: string): boolean {
  return code.startsWith('POP3_') || code === 'CONFIG_TLS_MISMATCH';
}

function checkCommand(m: MailboxConfig, values: FlagValues, login: boolean): string {
  const file = stringFlag(values, 'config');
  if (file !== undefined) return `pop3-ingest check --config ${quote(file)} --mailbox ${m.id}`;
  const parts = ['pop3-ingest check', `--host ${quote(m.host)}`, `--port ${m.port}`, `--tls ${m.tls.mode}`];
  if (m.tls.caFile !== undefined) parts.push(`--ca ${quote(m.tls.caFile)}`);
  if (m.tls.servername !== undefined) parts.push(`--servername ${quote(m.tls.servername)}`);
  // The password source is not repeated: it may be a password typed in the wrong place.
  if (login) parts.push(`--user ${quote(m.auth.user)} --password-env NAME`);
  return parts.join(' ');
}

function quote(text: string): string {
  return /^[\w./:@+-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}

/** One warning per run for mailboxes that send their password in clear (--tls none --insecure-auth). */
function warnPlaintext(mailboxes: readonly MailboxConfig[], logger: CliLogger): void {
  const plain = mailboxes.filter((m) => m.tls.mode === 'none' && m.tls.allowInsecureAuth);
  if (plain.length === 0) return;
  logger.warn(
    `PLAINTEXT: the password and every message of ${plain.map((m) => m.id).join(', ')} cross the network unencrypted (--tls none --insecure-auth); use it only on loopback or a lab network`,
  );
}
