/**
 * One invocation: pick the mailboxes, poll each within the time Lambda gives us, count and log
 * the outcome, and decide whether to throw. Only a transient failure throws, and only while the
 * event's age leaves room for Lambda's async retry (retry-age.ts); otherwise it is returned and
 * counted, and the next schedule tick does the work. Auth, busy and permanent failures are
 * reported and returned, so a broken mailbox never becomes a retry storm.
 */
import type { Context } from 'aws-lambda';
import { retryAuthWhenChanged } from '../compose/auth-retry.js';
import { portLogger, type HandlerRuntime } from '../compose/handler-runtime.js';
import { pollMailboxes } from '../compose/poll-mailboxes.js';
import type { Config, MailboxConfig } from '../config/schema.js';
import { errorInfo } from '../sync/summary.js';
import type { PollSummary } from '../sync/types.js';
import { invocationBudget } from './deadline.js';
import { isTransientFailure, RetryableInvocationError } from './errors.js';
import { parseAction, runOnboarding, type OnboardingResult } from './actions.js';
import { eventDueTime, selectMailboxes } from './event.js';
import { recordError, recordPollMetrics, recordRetryDeferred } from './metrics.js';
import { decideRetry } from './retry-age.js';

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

/** Runs one invocation against the container's runtime. */
export async function runInvocation(event: unknown, context: Context, rt: HandlerRuntime): Promise<HandlerResult> {
  rt.logger.addContext(context);
  rt.metrics.captureColdStartMetric(context.functionName);
  const requestId = context.awsRequestId;

  let config: Config;
  let mailboxes: MailboxConfig[];
  try {
    config = await rt.config();
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
    const runs = await pollMailboxes(config, rt, {
      mailboxes,
      concurrency: rt.concurrency,
      owner: `lambda:${requestId}`,
      deadline: budget.deadline,
      finishBy: budget.abortAt,
      signal: controller.signal,
      logger: (m) => portLogger(rt.logger, { mailboxId: m.id }),
      retryAuth: retryAuthWhenChanged(rt.secrets, rt.oauth),
      countResponseCodes: true,
      onFinished: (run) => {
        if (run.notStarted) rt.logger.error('poll could not start', { mailboxId: run.mailbox.id, error: run.summary.error });
        recordPollMetrics(rt.metricsBase, run.summary, run.responseCodes);
      },
    });
    summaries = runs.map((r) => r.summary);
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
