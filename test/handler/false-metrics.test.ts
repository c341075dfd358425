/**
 * Threat: metrics that lie. A failed or busy poll reporting Backlog 0 hides a real backlog (and
 * clears the backlog alarm); a hostile server inventing response codes mints one billed metric
 * per code; a wrong bus region sends every event to the wrong account's endpoint.
 */
import { describe, expect, it } from 'vitest';
import { RESPONSE_CODE_VALUES } from '../../lambda/handler/contract.js';
import { listedTheMailbox, recordPollMetrics, responseCodeValue } from '../../lambda/handler/metrics.js';
import { arnRegion } from '../../lambda/compose/aws-clients.js';
import { newSummary } from '../../lambda/sync/summary.js';
import type { PollSummary } from '../../lambda/sync/types.js';
import { captureOutput, emfMetrics } from './support.js';

const base = { serviceName: 'metrics-test', namespace: 'Pop3Ingest' };

function summary(status: PollSummary['status'], backlog: number): PollSummary {
  const s = newSummary('box', new Date());
  s.status = status;
  s.backlog = backlog;
  if (status === 'failed') s.error = { code: 'POP3_CONNECT_FAILED', category: 'transient', message: 'x', retryable: true };
  return s;
}

async function emitted(s: PollSummary, codes: string[] = []) {
  const { lines } = await captureOutput(async () => recordPollMetrics(base, s, codes));
  return emfMetrics(lines);
}

describe('Backlog only for polls that listed the mailbox', () => {
  it('emits the backlog of an ok poll, zero included', async () => {
    expect((await emitted(summary('ok', 0))).find((m) => m.name === 'Backlog')?.value).toBe(0);
    expect((await emitted(summary('ok', 42))).find((m) => m.name === 'Backlog')?.value).toBe(42);
  });

  it('emits no backlog for a failed, busy or circuit-open poll', async () => {
    for (const status of ['failed', 'busy', 'circuit-open'] as const) {
      expect(listedTheMailbox(summary(status, 0)), status).toBe(false);
      const metrics = await emitted(summary(status, 0));
      expect(metrics.some((m) => m.name === 'Backlog'), status).toBe(false);
      expect(metrics.find((m) => m.name === 'PollSucceeded')?.value, status).toBe(0);
    }
  });
});

describe('DeletionsDeferred', () => {
  // Threat: deletions the deadline pushed to a later poll, invisible; a mailbox that defers every
  // poll never drains while every poll reports success.
  it('counts the deletions an ok poll left for later, and is absent for a poll that listed nothing', async () => {
    const ok = summary('ok', 0);
    ok.deletionsDeferred = 339;
    expect((await emitted(ok)).find((m) => m.name === 'DeletionsDeferred')?.value).toBe(339);
    expect((await emitted(summary('failed', 0))).some((m) => m.name === 'DeletionsDeferred')).toBe(false);
  });
});

describe('ErrorsByResponseCode from the fixed RFC 2449 / RFC 3206 set', () => {
  it('keeps the RFC codes, in any case', () => {
    for (const code of ['IN-USE', 'LOGIN-DELAY', 'SYS/TEMP', 'SYS/PERM', 'AUTH']) {
      expect(responseCodeValue(code)).toBe(code);
      expect(responseCodeValue(code.toLowerCase())).toBe(code);
    }
  });

  it('folds anything else a server sends into `other`', async () => {
    // Prepare: a hostile server's invented codes
    const hostile = Array.from({ length: 50 }, (_, i) => `X-EVIL/${i}`).concat(['OTHER', 'SYS/TEMP/EXTRA', 'IN-USE ', '']);
    // Act
    const metrics = await emitted(summary('failed', 0), hostile);
    // Assess
    const codes = metrics.filter((m) => m.name === 'ErrorsByResponseCode').map((m) => m.dimensions.responseCode);
    expect(codes).toEqual(['other']);
    expect(new Set(hostile.map(responseCodeValue))).toEqual(new Set(['other']));
    expect(RESPONSE_CODE_VALUES).toContain('other');
  });
});

describe('the event bus region', () => {
  it('is taken from a bus ARN so PutEvents reaches a bus in another region', () => {
    expect(arnRegion('arn:aws:events:eu-central-1:111122223333:event-bus/central')).toBe('eu-central-1');
    expect(arnRegion('central')).toBeUndefined();
    expect(arnRegion(undefined)).toBeUndefined();
  });
});
