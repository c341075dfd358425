/**
 * One invocation: pick the mailboxes, poll each within the time Lambda gives us, count and log
 * the outcome, and decide whether to throw. Only a transient failure throws, and only while the
 * event's age leaves room for Lambda's async retry (retry-age.ts); otherwise it is returned and
 * counted, and the next schedule tick does the work. Auth, busy and permanent failures are
 * reported and returned, so a broken mailbox never becomes a retry storm.
 */
import type { Context } from 'aws-lambda';
import type { Secret } from '../adapters/secrets/secret.js';
import { toMailboxPolicy } from '../config/mapping.js';
import type { Config, MailboxConfig } from '../config/schema.js';
import { buildPollDependencies } from '../config/wiring.js';
import { IngestError } from '../shared/errors.js';
import { pollMailbox } from '../sync/poll.js';
import type { Logger } from '../sync/ports.js';
import { errorInfo, newSummary } from '../sync/summary.js';
import type { PollSummary } from '../sync/types.js';
import { invocationBudget, type InvocationBudget } from './deadline.js';
import { parseAction, runOnboarding, type OnboardingResult } from './actions.js';
import { eventDueTime, selectMailboxes } from './event.js';
import { recordError, recordPollMetrics, recordRetryDeferred } from './metrics.js';
import { decideRetry } from './retry-age.js';
import { portLogger, type HandlerRuntime } from './runtime.js';

/** What the handler returns: one summary per polled mailbox, or why nothing was polled. */
export interface HandlerResult {
  requestId: string;
  summaries: PollSummary[];
  /** Set when the invocation could not poll at all (configuration, unknown mailbox). */
  error?: NonNullable<PollSummary['error']>;
  /** Set when a transient failure was returned instead of thrown: why no retry was asked for. */
  retryDeferred?: string;
  /** The outcome of an `"action": "seed"` / `"replay"` invocation (actions.ts). */
  seed?: OnboardingResult['seed'];
  replay?: OnboardingResult['replay'];
}

/** Thrown only when a retry right now can help: at least one mailbox failed transiently. */
export class RetryableInvocationError extends IngestError {
  readonly summaries: readonly PollSummary[];

  constructor(summaries: readonly PollSummary[]) {
    const failed = summaries.filter(isTransientFailure).map((s) => `${s.mailboxId} (${s.error?.code ?? 'UNKNOWN'})`);
    super('INVOCATION_TRANSIENT_FAILURE', 'transient', `Transient failure polling ${failed.join(', ')}: a retry may succeed`);
    this.summaries = summaries;
  }
}

/** Runs one invocation against the container's runtime. */
export async function runInvocation(event: unknown, context: Context, rt: HandlerRuntime): Promise<HandlerResult> {
  rt.logger.addContext(context);
  rt.metrics.captureColdStartMetric(context.functionName);
  const requestId = context.awsRequestId;

  let config: Config;
  let mailboxes: MailboxConfig[];
  try {
    config = rt.config();
    // seed / replay (actions.ts): one mailbox, by hand; the scheduled poll goes on below.
    const action = parseAction(event);
    if (action.action !== 'poll') return { summaries: [], ...(await runOnboarding(action, config, context, rt)) };
    mailboxes = selectMailboxes(event, config);
  } catch (error) {
    // A configuration problem: no retry can fix it, so report and return.
    const info = errorInfo(error);
    rt.logger.error('invocation cannot start', { error: info });
    recordError(rt.metricsBase, '-', info.category);
    return { requestId, summaries: [], error: info };
  }

  const budget = invocationBudget(context.getRemainingTimeInMillis(), new Date());
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new Error('Lambda time budget exhausted')),
    Math.max(0, budget.abortAt.getTime() - Date.now()),
  );
  let summaries: PollSummary[];
  try {
    summaries = await mapBounded(mailboxes, rt.concurrency, (m) => pollOne(m, config, rt, budget, controller.signal, requestId));
  } finally {
    clearTimeout(timer);
  }

  rt.logger.info('invocation finished', {
    deadline: budget.deadline.toISOString(),
    mailboxes: summaries.map((s) => ({ mailboxId: s.mailboxId, status: s.status, stored: s.stored, backlog: s.backlog, errorCode: s.error?.code })),
  });
  const transient = summaries.filter(isTransientFailure);
  if (transient.length === 0) return { requestId, summaries };
  const decision = decideRetry(eventDueTime(event), new Date(), rt.asyncRetry);
  if (decision.retry) throw new RetryableInvocationError(summaries);
  rt.logger.warn('transient failure left to the next schedule tick', { reason: decision.reason, mailboxes: transient.map((s) => s.mailboxId) });
  recordRetryDeferred(rt.metricsBase, transient.map((s) => s.mailboxId));
  return { requestId, summaries, retryDeferred: decision.reason };
}

/** Polls one mailbox; on an auth failure re-reads the secret and, if that can help, tries once more. */
async function pollOne(
  m: MailboxConfig,
  config: Config,
  rt: HandlerRuntime,
  budget: InvocationBudget,
  signal: AbortSignal,
  requestId: string,
): Promise<PollSummary> {
  const logger = portLogger(rt.logger, { mailboxId: m.id });
  const responseCodes: string[] = [];
  const started = new Date();
  let summary: PollSummary;
  try {
    const deps = await buildPollDependencies(m, config, {
      secrets: rt.secrets,
      oauth: rt.oauth,
      s3: rt.s3,
      eventBridge: rt.eventBridge,
      logger,
      onSourceError: (error) => {
        const code = (error as { responseCode?: unknown } | null)?.responseCode;
        if (typeof code === 'string' && code !== '') responseCodes.push(code);
      },
    });
    const options = { deadline: budget.deadline, signal, owner: `lambda:${requestId}` };
    summary = await pollMailbox(toMailboxPolicy(m), deps, options);
    if (summary.status === 'failed' && summary.error?.category === 'auth' && (await worthRetryingAuth(m, rt, logger))) {
      // Not counted as an auth error: only the final outcome is (the alarm must not fire on a
      // token that a refresh fixed). Codes seen on the first attempt are dropped with it.
      responseCodes.length = 0;
      logger.warn('authentication failed; retrying once with the secret read afresh', { errorCode: summary.error.code });
      summary = await pollMailbox(toMailboxPolicy(m), deps, options);
    }
  } catch (error) {
    // pollMailbox never throws for mailbox failures; this is the wiring (e.g. no bucket configured).
    summary = newSummary(m.id, started);
    summary.status = 'failed';
    summary.durationMs = Date.now() - started.getTime();
    summary.error = errorInfo(error);
    logger.error('poll could not start', { error: summary.error });
  }
  recordPollMetrics(rt.metricsBase, summary, responseCodes);
  return summary;
}

/**
 * Invalidates the cached secret (and OAuth2 token) and says whether a second login can differ:
 * always for OAuth2 (a fresh token), for a password only if the secret really changed, since
 * a second wrong password brings an account lockout closer.
 */
async function worthRetryingAuth(m: MailboxConfig, rt: HandlerRuntime, logger: Logger): Promise<boolean> {
  const ref = m.auth.secret;
  if (m.auth.oauth2 !== undefined) {
    rt.oauth.invalidate(ref);
    return true;
  }
  const before = await rt.secrets.get(ref).catch(() => undefined);
  rt.secrets.invalidate(ref);
  const after = await rt.secrets.get(ref).catch(() => undefined);
  if (after === undefined) return false;
  if (before !== undefined && same(before.password, after.password) && same(before.accessToken, after.accessToken)) {
    logger.info('secret unchanged after re-reading it: not retrying the login (account lockout risk)');
    return false;
  }
  return true;
}

function same(a: Secret | undefined, b: Secret | undefined): boolean {
  return a === undefined ? b === undefined : a.equals(b);
}

function isTransientFailure(s: PollSummary): boolean {
  return s.status === 'failed' && s.error?.category === 'transient';
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
