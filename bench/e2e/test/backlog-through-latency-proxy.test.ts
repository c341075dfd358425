/**
 * The "+15 ms" backlog figures in docs/cost.md and docs/scaling.md are only worth something if
 * the handler's requests really took the delayed links. The threat: a drain that reports a
 * delayed run while its events are still faked in-process (no socket, no delay) or its S3 and
 * POP3 traffic bypasses the proxies, or a proxied drain that loses or leaves unpublished a
 * message. A tiny drain through all three proxies: every message stored once with the seeded
 * bytes, every "Message Stored" entry counted by the HTTP fake, and each proxy carried traffic.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../../../test/support/dovecot.js';
import { startS3Server, testS3Client, type S3Server } from '../../../test/support/s3-server.js';
import { drain } from '../backlog.js';
import { seedCorpus } from '../corpus.js';
import { startBacklogLinks } from '../links.js';
import { checkDrain } from '../verify.js';

const PASSWORD = 'proxied backlog 1';
const BUCKET = 'bench-e2e-proxied';
const MESSAGES = 5;

describe('the backlog drain through the latency proxies', () => {
  let dovecot: DovecotServer;
  let s3server: S3Server;
  let s3: S3Client;
  let work: string;

  beforeAll(async () => {
    [dovecot, s3server, work] = await Promise.all([
      startDovecot({ users: [{ user: 'tiny', password: PASSWORD }], authFailureDelaySeconds: 0 }),
      startS3Server(),
      mkdtemp(join(tmpdir(), 'bench-e2e-proxied-')),
    ]);
    s3 = testS3Client(s3server.endpoint);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  }, 120_000);

  afterAll(async () => {
    s3?.destroy();
    await Promise.allSettled([dovecot?.stop(), s3server?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('stores and publishes every message over the delayed S3, EventBridge and POP3 links', async () => {
    // Prepare
    const corpus = await seedCorpus(dovecot, 'tiny', MESSAGES);
    const storedLog = join(work, 'stored.log');
    const links = await startBacklogLinks({
      s3Endpoint: s3server.endpoint, pop3Port: dovecot.pop3sPort, awsDelayMs: 15, pop3DelayMs: 15, storedLog,
      config: (port) => JSON.stringify({
        storage: { bucket: BUCKET },
        events: { busName: 'bench-e2e-bus' },
        mailboxes: [{ id: 'tiny', host: dovecot.host, port, tls: { mode: 'implicit', ca: dovecot.ca }, auth: { user: 'tiny', secret: { secretsManager: 'pop3/tiny' } } }],
      }),
    });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test',
      POWERTOOLS_SERVICE_NAME: 'pop3-ingest-bench', POWERTOOLS_LOG_LEVEL: 'WARN', POWERTOOLS_METRICS_DISABLED: 'true',
      ...links.env,
    };

    // Act
    let figures;
    let served;
    let through: Array<[string, number]>;
    try {
      figures = await drain(
        { mailboxId: 'tiny', budgetMs: 120_000, maxInvocations: 3, secret: PASSWORD, storedLog, env, eventBridge: links.eventBridge, log: () => undefined },
        corpus,
      );
      served = links.eventBridge.counts();
      through = Object.entries(links.proxies).map(([name, proxy]) => [name, proxy.stats().connections]);
    } finally {
      await links.close();
    }
    const check = await checkDrain(s3, BUCKET, 'mail/tiny/', 'tiny', corpus, storedLog);

    // Assess
    expect(figures.drained).toBe(true);
    expect(served.entriesByType['Message Stored']).toBe(MESSAGES);
    expect(links.eventBridge.refused()).toBe(0);
    // The drain's figures are the server's counts: the child published nothing in-process.
    expect(figures.entries).toBe(served.entries);
    expect(Object.fromEntries(through)).toEqual({ s3: expect.any(Number), eventBridge: expect.any(Number), pop3: expect.any(Number) });
    for (const [name, connections] of through) expect(connections, `${name} proxy`).toBeGreaterThan(0);
    expect(check).toMatchObject({ ok: true, matched: MESSAGES, missing: 0, extraOrDuplicate: 0, unpublished: 0 });
  }, 180_000);
});
