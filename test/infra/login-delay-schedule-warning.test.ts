/**
 * A schedule faster than the server's LOGIN-DELAY earns a synth warning (most polls would be
 * skipped as busy): from the mailbox's loginDelaySeconds, or from a provider preset (Gmail 300 s).
 */
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { sampleConfig, synthPoller } from './synth.js';

const mailbox = (over: Record<string, unknown>) => ({
  id: 'gmail',
  host: 'pop.gmail.com',
  auth: { user: 'me@gmail.com', secret: { secretsManager: 'pop3-ingest/gmail' } },
  ...over,
});

function warnings(config: Record<string, unknown>): string[] {
  const { stack } = synthPoller({ config });
  return Annotations.fromStack(stack)
    .findWarning('*', Match.stringLikeRegexp('LOGIN-DELAY'))
    .map((w) => String(w.entry.data));
}

describe('LOGIN-DELAY at synth', () => {
  it('warns when a Gmail mailbox is polled every minute (Gmail advertises LOGIN-DELAY 300)', () => {
    const found = warnings({ mailboxes: [mailbox({ schedule: 'rate(1 minute)' })] });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/mailbox gmail is polled every 60 s .* pop\.gmail\.com's known LOGIN-DELAY is 300 s.*rate\(5 minutes\)/);
  });

  it('warns from a configured loginDelaySeconds on any host', () => {
    const found = warnings({ mailboxes: [mailbox({ host: 'pop.example.net', loginDelaySeconds: 900, schedule: 'rate(10 minutes)' })] });
    expect(found).toEqual([expect.stringMatching(/its LOGIN-DELAY \(loginDelaySeconds\) is 900 s.*rate\(15 minutes\)/)]);
  });

  it('stays quiet when the schedule respects the delay, or none is known', () => {
    expect(warnings({ mailboxes: [mailbox({ schedule: 'rate(5 minutes)' })] })).toEqual([]);
    expect(warnings(sampleConfig())).toEqual([]);
  });
});
