/**
 * The handler's CloudWatch metrics (Powertools EMF, namespace Pop3Ingest). The names and
 * dimensions are a contract with the alarms in infra/constructs/poller-monitoring.ts:
 * per mailbox MessagesStored, BytesStored, PollDuration, PollSucceeded, Backlog; Errors by
 * {mailbox, errorClass}; ErrorsByResponseCode by {mailbox, responseCode}; ColdStart.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { PollSummary } from '../sync/types.js';

/** Metric and dimension names (keep in step with POLLER_METRICS in infra). */
export const HANDLER_METRICS = {
  namespace: 'Pop3Ingest',
  mailboxDimension: 'mailbox',
  errorClassDimension: 'errorClass',
  responseCodeDimension: 'responseCode',
  messagesStored: 'MessagesStored',
  bytesStored: 'BytesStored',
  pollDuration: 'PollDuration',
  pollSucceeded: 'PollSucceeded',
  backlog: 'Backlog',
  errors: 'Errors',
  errorsByResponseCode: 'ErrorsByResponseCode',
} as const;

/** Writes one EMF document per dimension set for a finished poll. */
export function recordPollMetrics(base: { serviceName: string; namespace: string }, summary: PollSummary, responseCodes: readonly string[]): void {
  const perMailbox = metricsWith(base, { [HANDLER_METRICS.mailboxDimension]: summary.mailboxId });
  perMailbox.addMetric(HANDLER_METRICS.messagesStored, MetricUnit.Count, summary.stored);
  perMailbox.addMetric(HANDLER_METRICS.bytesStored, MetricUnit.Bytes, summary.bytes);
  perMailbox.addMetric(HANDLER_METRICS.pollDuration, MetricUnit.Milliseconds, summary.durationMs);
  perMailbox.addMetric(HANDLER_METRICS.pollSucceeded, MetricUnit.Count, summary.status === 'ok' ? 1 : 0);
  perMailbox.addMetric(HANDLER_METRICS.backlog, MetricUnit.Count, summary.backlog);
  perMailbox.publishStoredMetrics();
  if (summary.error) recordError(base, summary.mailboxId, summary.error.category);
  for (const code of new Set(responseCodes)) {
    const byCode = metricsWith(base, { [HANDLER_METRICS.mailboxDimension]: summary.mailboxId, [HANDLER_METRICS.responseCodeDimension]: code });
    byCode.addMetric(HANDLER_METRICS.errorsByResponseCode, MetricUnit.Count, 1);
    byCode.publishStoredMetrics();
  }
}

/** Counts one error of `category` for `mailboxId` ("-" when no mailbox could be selected). */
export function recordError(base: { serviceName: string; namespace: string }, mailboxId: string, category: string): void {
  const errors = metricsWith(base, { [HANDLER_METRICS.mailboxDimension]: mailboxId, [HANDLER_METRICS.errorClassDimension]: category });
  errors.addMetric(HANDLER_METRICS.errors, MetricUnit.Count, 1);
  errors.publishStoredMetrics();
}

function metricsWith(base: { serviceName: string; namespace: string }, dimensions: Record<string, string>): Metrics {
  return new Metrics({ namespace: base.namespace, serviceName: base.serviceName, defaultDimensions: dimensions });
}
