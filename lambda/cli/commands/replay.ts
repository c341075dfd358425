/**
 * `pop3-ingest replay`: publishes again the events of stored messages (lambda/sync/replay.ts).
 * Never opens a POP3 session, so it needs no host and no password: a mailbox id and where its
 * seen-state, messages and events live (--out, --bucket / --event-bus, or --config).
 */
import { dirname, resolve } from 'node:path';
import { CONFIG_DEFAULTS } from '../../config/defaults.js';
import { toMailboxPolicy } from '../../compose/policy.js';
import { buildReplayDependencies } from '../../compose/dependencies.js';
import { findMailbox } from '../../config/find-mailbox.js';
import type { Config } from '../../config/schema.js';
import { isValidMailboxId } from '../../sync/keys.js';
import { parseReplayBound, replayMailbox, type ReplayedEvent, type ReplaySummary } from '../../sync/replay.js';
import type { MailboxPolicy } from '../../sync/types.js';
import { booleanFlag, parseCommandArgs, stringFlag, type FlagValues } from '../args.js';
import { usageError } from '../errors.js';
import { ExitCode, exitCodeForCategory, worstExitCode, type ExitCodeValue } from '../exit-codes.js';
import { configFromFlags, defaultMailboxId } from '../flags-config.js';
import { interruptController } from '../interrupt.js';
import { checkOutDir } from '../out-dir.js';
import { CliLogger, escapeText, logLevelFrom, writeResult } from '../output.js';
import { createCliRuntime } from '../../compose/services.js';
import { DEFAULT_OUT_DIR } from './poll.js';
import { summaryAtDebug } from './seed.js';
import { REPLAY_SPEC } from './specs.js';

/** Runs `pop3-ingest replay`; resolves with the exit code. */
export async function runReplay(argv: readonly string[]): Promise<ExitCodeValue> {
  const values = parseCommandArgs(argv, REPLAY_SPEC);
  const json = booleanFlag(values, 'json');
  const dryRun = booleanFlag(values, 'dry-run');
  const logger = new CliLogger({ level: logLevelFrom({ verbose: booleanFlag(values, 'verbose'), quiet: booleanFlag(values, 'quiet') }), json });
  const outDir = resolve(stringFlag(values, 'out') ?? DEFAULT_OUT_DIR);
  const from = bound(values, 'from');
  const to = bound(values, 'to');
  if (from && to && from.getTime() >= to.getTime()) throw usageError(`--from ${from.toISOString()} is not before --to ${to.toISOString()}`);
  const events = stringFlag(values, 'events');
  if (events === '-' && json) throw usageError('--events - (stdout) cannot be combined with --json: both write to stdout');
  const { config, policies } = await target(values, outDir);
  if (events !== undefined && config.events.busName !== undefined) throw usageError('--events and --event-bus (or events.busName) exclude each other');
  if (config.storage.bucket === undefined) await checkOutDir(outDir);
  if (events !== undefined && events !== '-' && !dryRun) await checkOutDir(dirname(resolve(events)), '--events');

  const runtime = await createCliRuntime({ ...config, mailboxes: [] });
  const abort = interruptController(logger);
  const runs: Array<{ summary: ReplaySummary; events: ReplayedEvent[] }> = [];
  try {
    const deps = await buildReplayDependencies(config, {
      secrets: runtime.secrets,
      ports: runtime.ports,
      ...(runtime.s3 ? { s3: runtime.s3 } : {}),
      ...(runtime.eventBridge ? { eventBridge: runtime.eventBridge } : {}),
      local: { dir: outDir, ...(events === '-' ? { eventsStream: process.stdout } : events === undefined ? {} : { eventsFile: resolve(events) }) },
      logger: summaryAtDebug(logger, 'mailbox replayed'),
    });
    for (const policy of policies) {
      if (abort.signal.aborted) break;
      runs.push(await replayMailbox(policy, deps, { dryRun, signal: abort.signal, ...(from ? { from } : {}), ...(to ? { to } : {}) }));
    }
  } finally {
    runtime.close();
  }
  const exitCode = abort.signal.aborted ? ExitCode.INTERRUPTED : worstExitCode(runs.map((r) => exitCodeForReplay(r.summary)));
  const document = { ok: exitCode === 0, exitCode, mailboxes: runs.map((r) => ({ ...r.summary, ...(dryRun ? { wouldPublish: r.events } : {}) })) };
  writeResult(json, document, () => runs.map((r) => formatReplay(r.summary, dryRun ? r.events : [])).join(''), events === '-' ? process.stderr : process.stdout);
  abort.dispose();
  return exitCode;
}

/** The configuration's storage and events, and the mailboxes to replay. */
async function target(values: FlagValues, outDir: string): Promise<{ config: Pick<Config, 'storage' | 'events'>; policies: MailboxPolicy[] }> {
  if (stringFlag(values, 'config') !== undefined) {
    if (stringFlag(values, 'mailbox-id') !== undefined) throw usageError('--mailbox-id is for a mailbox without --config; with --config use --mailbox');
    let config = await configFromFlags(values, { requireLogin: false });
    const only = stringFlag(values, 'mailbox');
    if (only !== undefined) config = { ...config, mailboxes: [findMailbox(config, only)] };
    return { config, policies: config.mailboxes.map((m) => toMailboxPolicy(m)) };
  }
  if (stringFlag(values, 'mailbox') !== undefined) throw usageError('--mailbox selects a mailbox of --config FILE; without it use --mailbox-id');
  const id = stringFlag(values, 'mailbox-id') ?? defaultMailboxId(outDir);
  if (!isValidMailboxId(id)) throw usageError(`--mailbox-id ${escapeText(id, 80)}: expected [a-z0-9][a-z0-9-_.]*`);
  const bucket = stringFlag(values, 'bucket');
  const busName = stringFlag(values, 'event-bus');
  const prefix = stringFlag(values, 'prefix') ?? CONFIG_DEFAULTS.storagePrefix;
  const config = {
    storage: { ...(bucket === undefined ? {} : { bucket }), prefix, statePrefix: CONFIG_DEFAULTS.statePrefix },
    events: { ...(busName === undefined ? {} : { busName }), source: CONFIG_DEFAULTS.eventSource },
  } as Pick<Config, 'storage' | 'events'>;
  return { config, policies: [{ id, mode: 'full', delete: { kind: 'never' }, limits: {}, keyPrefix: prefix }] };
}

function bound(values: FlagValues, name: 'from' | 'to'): Date | undefined {
  const text = stringFlag(values, name);
  if (text === undefined) return undefined;
  try {
    return parseReplayBound(text, name);
  } catch (error) {
    throw usageError(`--${error instanceof Error ? error.message : String(error)}`);
  }
}

function exitCodeForReplay(s: ReplaySummary): ExitCodeValue {
  if (s.status === 'ok') return ExitCode.OK;
  return s.error ? exitCodeForCategory(s.error.category, s.error.code) : ExitCode.OTHER;
}

/** Human-readable lines of one replay (and, for --dry-run, the events it would publish). */
export function formatReplay(s: ReplaySummary, wouldPublish: readonly ReplayedEvent[]): string {
  const range = `${s.from ?? 'the beginning'} .. ${s.to ?? 'now'}`;
  const lines = [`${s.mailboxId}: ${s.status === 'ok' ? (s.dryRun ? 'replay dry run' : 'replayed') : s.status}, firstSeen in ${range}`];
  lines.push(`  ${s.matched} message(s) in range: ${s.dryRun ? `${s.events} event(s) would be published` : `${s.published} event(s) published`}` +
    `${s.unacknowledged > 0 ? `, ${s.unacknowledged} not acknowledged` : ''}, ${s.missing} object(s) gone, ${s.nothingStored} with nothing stored`);
  for (const e of wouldPublish) lines.push(`  ${e.id}  ${e.detailType.padEnd(15)}  ${e.firstSeen}  ${escapeText(e.key ?? '-', 200)}`);
  for (const key of s.missingKeys) lines.push(`  gone: ${escapeText(key, 200)}`);
  for (const w of s.warnings) lines.push(`  warning: ${escapeText(w, 300)}`);
  if (s.error) lines.push(`  error: ${escapeText(s.error.message, 1000)}`);
  return `${lines.join('\n')}\n`;
}
