/**
 * `pop3-ingest seed`: records what is on the server as seen (lambda/sync/seed.ts), for every
 * mailbox given by flags or --config, one after the other, through the poll's composition root.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { readCaFile } from '../../compose/connect-options.js';
import { toMailboxPolicy } from '../../compose/policy.js';
import { findMailbox } from '../../config/find-mailbox.js';
import { buildPollDependencies } from '../../compose/dependencies.js';
import type { Logger } from '../../sync/ports.js';
import { parseReplayBound } from '../../sync/replay.js';
import { seedMailbox, type SeedSummary } from '../../sync/seed.js';
import { booleanFlag, parseCommandArgs, stringFlag } from '../args.js';
import { usageError } from '../errors.js';
import { ExitCode, exitCodeForCategory, worstExitCode, type ExitCodeValue } from '../exit-codes.js';
import { configFromFlags, defaultMailboxId } from '../flags-config.js';
import { interruptController } from '../interrupt.js';
import { checkOutDir } from '../out-dir.js';
import { CliLogger, escapeText, logLevelFrom, writeResult } from '../output.js';
import { createCliRuntime } from '../../compose/services.js';
import { DEFAULT_OUT_DIR } from './poll.js';
import { SEED_SPEC } from './specs.js';

/** Runs `pop3-ingest seed`; resolves with the exit code. */
export async function runSeed(argv: readonly string[]): Promise<ExitCodeValue> {
  const values = parseCommandArgs(argv, SEED_SPEC);
  const json = booleanFlag(values, 'json');
  const logger = new CliLogger({ level: logLevelFrom({ verbose: booleanFlag(values, 'verbose'), quiet: booleanFlag(values, 'quiet') }), json });
  const outDir = resolve(stringFlag(values, 'out') ?? DEFAULT_OUT_DIR);
  const sinceText = stringFlag(values, 'since');
  let since: Date | undefined;
  try {
    since = sinceText === undefined ? undefined : parseReplayBound(sinceText, 'from');
  } catch (error) {
    throw usageError(`--since: ${error instanceof Error ? error.message.replace(/^from: /, '') : String(error)}`);
  }
  let config = await configFromFlags(values, { requireLogin: true, defaultMailboxId: defaultMailboxId(outDir) });
  const only = stringFlag(values, 'mailbox');
  if (only !== undefined) config = { ...config, mailboxes: [findMailbox(config, only)] };
  if (config.storage.bucket === undefined) await checkOutDir(outDir);
  for (const m of config.mailboxes) await readCaFile(m);

  const runtime = await createCliRuntime(config);
  const abort = interruptController(logger);
  const owner = `cli:${hostname()}:${process.pid}`;
  const summaries: SeedSummary[] = [];
  try {
    for (const m of config.mailboxes) {
      if (abort.signal.aborted) break;
      const deps = await buildPollDependencies(m, config, {
        secrets: runtime.secrets,
        ports: runtime.ports,
        ...(runtime.eventBridge ? { eventBridge: runtime.eventBridge } : {}),
        ...(runtime.s3 ? { s3: runtime.s3 } : {}),
        local: { dir: outDir },
        logger,
      });
      // The command prints the summary itself; the core's log of it is kept for --verbose.
      deps.logger = summaryAtDebug(logger, 'mailbox seeded');
      summaries.push(await seedMailbox(toMailboxPolicy(m), deps, { owner, signal: abort.signal, ...(since ? { since } : {}) }));
    }
  } finally {
    runtime.close();
  }
  const exitCode = abort.signal.aborted ? ExitCode.INTERRUPTED : worstExitCode(summaries.map(exitCodeForSeed));
  writeResult(json, { ok: exitCode === 0, exitCode, mailboxes: summaries }, () => summaries.map(formatSeed).join(''));
  abort.dispose();
  return exitCode;
}

/** A logger that demotes the core's own summary line (`message`) to debug. */
export function summaryAtDebug(logger: Logger, message: string): Logger {
  return {
    debug: (m, f) => logger.debug(m, f),
    info: (m, f) => (m === message ? logger.debug(m, f) : logger.info(m, f)),
    warn: (m, f) => (m === message ? logger.debug(m, f) : logger.warn(m, f)),
    error: (m, f) => logger.error(m, f),
  };
}

function exitCodeForSeed(s: SeedSummary): ExitCodeValue {
  if (s.status === 'ok') return ExitCode.OK;
  if (s.status === 'busy') return ExitCode.BUSY;
  return s.error ? exitCodeForCategory(s.error.category, s.error.code) : ExitCode.OTHER;
}

/** Human-readable lines of one seed. */
export function formatSeed(s: SeedSummary): string {
  const lines = [`${s.mailboxId}: ${s.status === 'ok' ? 'seeded' : s.status} in ${(s.durationMs / 1000).toFixed(1)} s`];
  lines.push(`  ${s.serverMessages} on the server: ${s.seeded} recorded as seen now, ${s.alreadyKnown} already known`);
  if (s.since !== undefined) lines.push(`  --since ${s.since}: ${s.recent} dated on/after it and ${s.undated} without a usable Date left for the next poll`);
  if (s.status === 'ok' && s.seeded > 0) lines.push('  seeded messages are never deleted by pop3-ingest (their bodies were not stored)');
  for (const w of s.warnings) lines.push(`  warning: ${escapeText(w, 300)}`);
  if (s.error) lines.push(`  error: ${escapeText(s.error.message, 1000)}`);
  return `${lines.join('\n')}\n`;
}
