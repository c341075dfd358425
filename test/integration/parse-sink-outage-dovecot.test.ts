/**
 * parse-sink-outage-loses-mail: the store of parsed objects fails (S3 answers 500 to every
 * attachment PutObject, through the real SDK and its retries) while a real Dovecot serves the
 * message. The raw message must still be stored, announced and deleted per policy; the failure is
 * a retryable Message Parse Failed, not a failed poll and not a message left undeletable.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalSecretProvider } from '../../lambda/adapters/secrets/local.js';
import { toMailboxPolicy } from '../../lambda/compose/policy.js';
import { parseConfig } from '../../lambda/config/schema.js';
import { buildPollDependencies } from '../../lambda/compose/dependencies.js';
import { LAZY_PORTS } from '../../lambda/compose/services.js';
import { pollMailbox } from '../../lambda/sync/poll.js';
import { startFakeS3Server, type FakeS3Server } from '../adapters/fake-s3-server.js';
import { s3Error } from '../adapters/fake-s3.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { messageWithAttachment } from '../support/mime-samples.js';
import { useTempDir } from '../support/temp-dir.js';

let dovecot: DovecotServer;
let s3: FakeS3Server;
const dir = useTempDir('parse-outage-');

beforeAll(async () => {
  [dovecot, s3] = await Promise.all([startDovecot(), startFakeS3Server()]);
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([dovecot?.stop(), s3?.stop()]);
});

describe('parse-sink-outage-loses-mail', () => {
  it('an S3 outage for parsed objects leaves the raw message stored, announced and deleted, with a retryable Message Parse Failed', async () => {
    // Prepare: every attachment PUT answers 500; raw messages and message.json go through.
    const put = s3.model.put.bind(s3.model);
    let refused = 0;
    s3.model.put = (key, body, input) => {
      if (key.includes('/attachments/')) {
        refused += 1;
        throw s3Error('InternalError', 500);
      }
      return put(key, body, input);
    };
    const message = messageWithAttachment(7, Buffer.alloc(50_000, 0x42));
    await dovecot.seed('alice', [message]);
    const config = parseConfig({
      storage: { bucket: 'mail' },
      mailboxes: [{
        id: 'alice', host: '127.0.0.1', port: dovecot.pop3sPort, tls: { mode: 'implicit', ca: dovecot.ca, servername: 'localhost' },
        auth: { user: 'alice', secret: { env: 'PW' } }, delete: 'after-store', parse: { attachments: true },
      }],
    });
    const mailbox = config.mailboxes[0]!;
    const eventsFile = join(dir(), 'events.jsonl');
    const deps = await buildPollDependencies(mailbox, config, {
      secrets: new LocalSecretProvider({ env: { PW: dovecot.users.find((u) => u.user === 'alice')!.password } }),
      ports: LAZY_PORTS,
      s3: s3.client(),
      local: { dir: dir(), eventsFile },
    });
    // Act
    const summary = await pollMailbox(toMailboxPolicy(mailbox), deps);
    // Assess: the poll is fine, the raw message stored byte for byte and gone from the server.
    expect(summary).toMatchObject({ status: 'ok', stored: 1, deleted: 1 });
    expect(refused).toBeGreaterThan(1);
    const events = readFileSync(eventsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { 'detail-type': string; detail: Record<string, unknown> });
    const stored = events.find((e) => e['detail-type'] === 'Message Stored')!;
    const failed = events.find((e) => e['detail-type'] === 'Message Parse Failed')!;
    expect(stored.detail.parsed).toBeUndefined();
    expect(failed.detail).toMatchObject({ reason: 'PARSE_STORE_FAILED', retryable: true, key: stored.detail.key });
    expect(s3.model.objects.get(`mail/${stored.detail.key as string}`)?.body.equals(message)).toBe(true);
    expect(await dovecot.maildirFiles('alice')).toEqual([]);
  }, 120_000);
});
