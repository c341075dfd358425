/**
 * Synth-time LOGIN-DELAY check: a mailbox whose schedule fires more often than its server's
 * RFC 2449 LOGIN-DELAY (its `loginDelaySeconds`, or a provider preset such as Gmail's 300 s) has
 * most of its polls skipped as busy (lambda/sync/login-delay.ts). Not an error: the polls are
 * harmless, but the schedule promises a latency the server will not give.
 */
import { knownLoginDelaySeconds } from '../lambda/config/providers.js';
import type { Config } from '../lambda/config/schema.js';
import type { SchedulePeriods } from './schedule-period.js';

/** One warning per mailbox whose shortest schedule gap is below its known LOGIN-DELAY. */
export function loginDelayWarnings(config: Config, periods: ReadonlyMap<string, SchedulePeriods>): string[] {
  const warnings: string[] = [];
  for (const m of config.mailboxes) {
    const delay = knownLoginDelaySeconds(m);
    const gap = periods.get(m.id)?.minSeconds;
    if (delay === undefined || delay <= 0 || gap === undefined || gap >= delay) continue;
    const source = m.loginDelaySeconds !== undefined ? 'its LOGIN-DELAY (loginDelaySeconds)' : `${m.host}'s known LOGIN-DELAY`;
    warnings.push(
      `Pop3Poller: mailbox ${m.id} is polled every ${gap} s (${m.schedule}) but ${source} is ${delay} s: ` +
        `polls sooner than ${delay} s after the last login are skipped as busy. Use a schedule like rate(${Math.ceil(delay / 60)} minutes).`,
    );
  }
  return warnings;
}
