/**
 * Invocation actions besides the scheduled poll: `{ "mailboxId": "<id>", "action": "seed" }`
 * (optionally `"since": "<ISO date>"`) and `{ "mailboxId": "<id>", "action": "replay", "from": ...,
 * "to": ..., "dryRun": true }`, invoked by hand (aws lambda invoke). Both name one configured
 * mailbox ("*" is refused: onboarding is a deliberate act per mailbox). A malformed event is a
 * permanent EVENT_INVALID answer, never a retry.
 */
import type { Context } from 'aws-lambda';
import { toMailboxPolicy } from '../compose/policy.js';
import { ConfigError } from '../config/errors.js';
import { buildReplayDependencies } from '../compose/dependencies.js';
import { findMailbox } from '../config/find-mailbox.js';
import type { Config } from '../config/schema.js';
import { buildPollDependencies } from '../compose/dependencies.js';
import { parseReplayBound, replayMailbox, type ReplayedEvent, type ReplaySummary } from '../sync/replay.js';
import { seedMailbox, type SeedSummary } from '../sync/seed.js';
import { errorInfo } from '../sync/summary.js';
import { invocationBudget } from './deadline.js';
import { portLogger, type HandlerRuntime } from '../compose/handler-runtime.js';

/** What an invocation asks for. */
export type HandlerAction =
  | { action: 'poll' }
  | { action: 'seed'; mailboxId: string; since?: Date }
  | { action: 'replay'; mailboxId: string; from?: Date; to?: Date; dryRun: boolean };

/** The actions an event may name. */
export const HANDLER_ACTIONS = ['poll', 'seed', 'replay'] as const;

/** What a seed or replay invocation returns. */
export interface OnboardingResult {
  requestId: string;
  seed?: SeedSummary;
  replay?: ReplaySummary & { wouldPublish?: ReplayedEvent[] };
  error?: ReturnType<typeof errorInfo>;
}

/** Events listed in a dry run's answer at most (Lambda answers up to 6 MB). */
const MAX_DRY_RUN_EVENTS = 1_000;

/** Reads the action of an invocation event. Throws ConfigError EVENT_INVALID. */
export function parseAction(event: unknown): HandlerAction {
  if (event === null || typeof event !== 'object') return { action: 'poll' };
  const e = event as Record<string, unknown>;
  const action = e['action'];
  if (action === undefined || action === 'poll') return { action: 'poll' };
  if (typeof action !== 'string' || !(HANDLER_ACTIONS as readonly string[]).includes(action)) {
    throw invalid('action', `unknown action ${JSON.stringify(String(action)).slice(0, 40)}: expected one of ${HANDLER_ACTIONS.join(', ')}`);
  }
  const mailboxId = e['mailboxId'];
  if (typeof mailboxId !== 'string' || mailboxId === '' || mailboxId === '*') {
    throw invalid('mailboxId', `action ${action} needs one configured mailbox id in mailboxId (not "*")`);
  }
  if (action === 'seed') {
    const since = date(e, 'since', 'from');
    return { action, mailboxId, ...(since ? { since } : {}) };
  }
  const from = date(e, 'from', 'from');
  const to = date(e, 'to', 'to');
  if (e['dryRun'] !== undefined && typeof e['dryRun'] !== 'boolean') throw invalid('dryRun', 'dryRun must be true or false');
  if (from && to && from.getTime() >= to.getTime()) throw invalid('from', `from ${from.toISOString()} is not before to ${to.toISOString()}`);
  return { action: 'replay', mailboxId, ...(from ? { from } : {}), ...(to ? { to } : {}), dryRun: e['dryRun'] === true };
}

/** Runs a seed or replay invocation against the container's runtime. */
export async function runOnboarding(
  action: Exclude<HandlerAction, { action: 'poll' }>,
  config: Config,
  context: Context,
  rt: HandlerRuntime,
): Promise<OnboardingResult> {
  const requestId = context.awsRequestId;
  const m = findMailbox(config, action.mailboxId);
  const logger = portLogger(rt.logger, { mailboxId: m.id, action: action.action });
  if (action.action === 'seed') {
    const budget = invocationBudget(context.getRemainingTimeInMillis(), new Date());
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('Lambda time budget exhausted')), Math.max(0, budget.abortAt.getTime() - Date.now()));
    try {
      const deps = await buildPollDependencies(m, config, { secrets: rt.secrets, ports: rt.ports, oauth: rt.oauth, s3: rt.s3, eventBridge: rt.eventBridge, logger });
      const seed = await seedMailbox(toMailboxPolicy(m), deps, { owner: `lambda:${requestId}`, signal: controller.signal, ...(action.since ? { since: action.since } : {}) });
      return { requestId, seed };
    } finally {
      clearTimeout(timer);
    }
  }
  const deps = await buildReplayDependencies(config, { secrets: rt.secrets, ports: rt.ports, s3: rt.s3, eventBridge: rt.eventBridge, logger });
  const { summary, events } = await replayMailbox(toMailboxPolicy(m), deps, {
    dryRun: action.dryRun, ...(action.from ? { from: action.from } : {}), ...(action.to ? { to: action.to } : {}),
  });
  return { requestId, replay: { ...summary, ...(action.dryRun ? { wouldPublish: events.slice(0, MAX_DRY_RUN_EVENTS) } : {}) } };
}

function date(e: Record<string, unknown>, field: string, bound: 'from' | 'to'): Date | undefined {
  const value = e[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(field, `${field} must be an ISO date or date-time string`);
  try {
    return parseReplayBound(value, bound);
  } catch (error) {
    throw invalid(field, `${field}: ${error instanceof Error ? error.message.replace(/^(from|to): /, '') : String(error)}`);
  }
}

function invalid(path: string, message: string): ConfigError {
  return new ConfigError('EVENT_INVALID', `Invocation event: ${message}`, [{ path, message }]);
}
