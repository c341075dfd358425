/**
 * The handler's CloudWatch metrics (Powertools EMF). Names and dimensions come from contract.ts,
 * which the alarms in infra/ read too. Per mailbox: MessagesStored, BytesStored, PollDuration,
 * PollSucceeded, Backlog, MessagesSetAside, FetchFailures, DeletionsDeferred; Errors by
 * {mailbox, errorClass}; ErrorsByResponseCode by {mailbox, responseCode}; RetryDeferred; ColdStart.
 *
 * What a metric says must be true: Backlog only from a poll that listed the mailbox (a failed
 * or busy poll knows nothing of the server, and a 0 would hide a real backlog); Errors counts
 * the final outcome of a poll, not an attempt the handler retried itself; responseCode takes
 * only the fixed RFC values, since each new dimension value is a new billed metric.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { PollSummary } from '../sync/types.js';
import { METRICS, RESPONSE_CODE_VALUES, type ResponseCodeValue } from './contract.js';

/** Namespace and service every metric is written under. */
export interface MetricsBase {
  serviceName: string;
  namespace: string;
}

/** Writes one EMF document per dimension set for a finished poll (its final attempt). */
export function recordPollMetrics(base: MetricsBase, summary: PollSummary, responseCodes: readonly string[]): void {
  const perMailbox = metricsWith(base, { [METRICS.mailboxDimension]: summary.mailboxId });
  perMailbox.addMetric(METRICS.messagesStored, MetricUnit.Count, summary.stored);
  perMailbox.addMetric(METRICS.bytesStored, MetricUnit.Bytes, summary.bytes);
  perMailbox.addMetric(METRICS.pollDuration, MetricUnit.Milliseconds, summary.durationMs);
  perMailbox.addMetric(METRICS.pollSucceeded, MetricUnit.Count, summary.status === 'ok' ? 1 : 0);
  if (listedTheMailbox(summary)) {
    perMailbox.addMetric(METRICS.backlog, MetricUnit.Count, summary.backlog);
    perMailbox.addMetric(METRICS.messagesSetAside, MetricUnit.Count, summary.setAsideTotal);
    perMailbox.addMetric(METRICS.fetchFailures, MetricUnit.Count, summary.fetchFailures);
    perMailbox.addMetric(METRICS.deletionsDeferred, MetricUnit.Count, summary.deletionsDeferred);
  }
  perMailbox.publishStoredMetrics();
  if (summary.error) recordError(base, summary.mailboxId, summary.error.category);
  for (const code of new Set(responseCodes.map(responseCodeValue))) {
    const byCode = metricsWith(base, { [METRICS.mailboxDimension]: summary.mailboxId, [METRICS.responseCodeDimension]: code });
    byCode.addMetric(METRICS.errorsByResponseCode, MetricUnit.Count, 1);
    byCode.publishStoredMetrics();
  }
}

/** Counts one error of `category` for `mailboxId` ("-" when no mailbox could be selected). */
export function recordError(base: MetricsBase, mailboxId: string, category: string): void {
  const errors = metricsWith(base, { [METRICS.mailboxDimension]: mailboxId, [METRICS.errorClassDimension]: category });
  errors.addMetric(METRICS.errors, MetricUnit.Count, 1);
  errors.publishStoredMetrics();
}

/** Counts transient failures returned instead of thrown (the next schedule tick does the work). */
export function recordRetryDeferred(base: MetricsBase, mailboxIds: readonly string[]): void {
  for (const mailboxId of mailboxIds) {
    const deferred = metricsWith(base, { [METRICS.mailboxDimension]: mailboxId });
    deferred.addMetric(METRICS.retryDeferred, MetricUnit.Count, 1);
    deferred.publishStoredMetrics();
  }
}

/**
 * Whether the poll got as far as listing the mailbox, so its backlog is a fact. Only a poll
 * that ended `ok` did for certain: `busy` and `circuit-open` never listed, and a `failed` poll
 * may have stopped anywhere, its counters partial (lambda/sync/types.ts PollSummary).
 */
export function listedTheMailbox(summary: PollSummary): boolean {
  return summary.status === 'ok';
}

/** A server's response code as one of the fixed dimension values (RFC 2449 codes are case-insensitive). */
export function responseCodeValue(code: string): ResponseCodeValue {
  const upper = code.toUpperCase();
  return (RESPONSE_CODE_VALUES as readonly string[]).includes(upper) && upper !== 'OTHER' ? (upper as ResponseCodeValue) : 'other';
}

function metricsWith(base: MetricsBase, dimensions: Record<string, string>): Metrics {
  return new Metrics({ namespace: base.namespace, serviceName: base.serviceName, defaultDimensions: dimensions });
}
