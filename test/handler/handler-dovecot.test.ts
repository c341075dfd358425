/**
 * The Lambda handler end to end: the real handler export against a private Dovecot, the S3 API
 * on loopback (fauxqs) and a mocked EventBridge and Secrets Manager.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { PutEventsCommand, EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { CreateBucketCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HandlerResult, RetryableInvocationError } from '../../lambda/handler/index.js';
import { makeMessage } from '../support/corpus.js';
import { DEFAULT_USERS, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { startS3Server, testS3Client, type S3Server } from '../support/s3-server.js';
import { captureOutput, emfMetrics, lambdaContext } from './support.js';

const BUCKET = 'pop3-ingest-handler-test';
const WRONG_PASSWORD = 'definitely-Wrong-pw-77';
const WRONG_CAROL = 'stale-carol-pw-88';
const OAUTH_SECRET = { clientId: 'client-id-1', clientSecret: 'client-Secret-XYZ-42', refreshToken: 'refresh-Token-ABC-43' };
const ACCESS_TOKEN = 'access-Token-DEF-44';
const password = (user: string) => DEFAULT_USERS.find((u) => u.user === user)?.password ?? '';

const eventBridge = mockClient(EventBridgeClient);
const secretsManager = mockClient(SecretsManagerClient);
const published: PutEventsRequestEntry[] = [];
/** Everything any test saw: scanned for secrets at the end. */
const transcript: string[] = [];

let dovecot: DovecotServer;
let tokenServer: HttpServer;
/** Refresh tokens the loopback token endpoint received, per request. */
const tokenRequests: string[] = [];
let s3: S3Server;
let handler: (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<HandlerResult>;

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** A loopback OAuth2 token endpoint: /revoked answers invalid_grant, /ok issues ACCESS_TOKEN. */
async function startTokenServer(): Promise<string> {
  tokenServer = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      tokenRequests.push(new URLSearchParams(body).get('refresh_token') ?? '');
      const ok = req.url === '/ok';
      res.writeHead(ok ? 200 : 400, { 'content-type': 'application/json' });
      res.end(JSON.stringify(ok ? { access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 3600 } : { error: 'invalid_grant', error_description: 'token revoked' }));
    });
  });
  await new Promise<void>((resolve) => tokenServer.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  const tokenBase = await startTokenServer();
  [dovecot, s3] = await Promise.all([startDovecot(), startS3Server()]);
  await testS3Client(s3.endpoint).send(new CreateBucketCommand({ Bucket: BUCKET }));
  await dovecot.seed('alice', [makeMessage(1, 2_000), makeMessage(2, 30_000), makeMessage(3, 500)]);
  await dovecot.seed('bob', [makeMessage(4, 1_000)]);
  await dovecot.seed('carol', [makeMessage(5, 1_000)]);
  const tls = { mode: 'implicit', ca: dovecot.ca, servername: 'localhost' };
  const at = { host: '127.0.0.1', port: dovecot.pop3sPort, tls };
  const config = {
    storage: { bucket: BUCKET },
    events: { busName: 'mail-bus', source: 'pop3-ingest.test' },
    mailboxes: [
      { id: 'alice', ...at, delete: 'after-store', auth: { user: 'alice', secret: { env: 'ALICE_PW' } } },
      { id: 'bob', ...at, auth: { user: 'bob', secret: { secretsManager: 'pop3/bob' } } },
      { id: 'carol', ...at, auth: { user: 'carol', secret: { secretsManager: 'pop3/carol', field: 'pw' } } },
      { id: 'wrong-pw', ...at, auth: { user: 'alice', secret: { env: 'WRONG_PW' } } },
      { id: 'offline', host: '127.0.0.1', port: await closedPort(), tls, auth: { user: 'alice', secret: { env: 'ALICE_PW' } } },
      {
        id: 'oauth-revoked', ...at,
        auth: { user: 'alice', secret: { secretsManager: 'pop3/oauth' }, oauth2: { provider: 'custom', tokenUrl: `${tokenBase}/revoked` } },
      },
      {
        id: 'oauth-unoffered', ...at,
        auth: { user: 'alice', secret: { secretsManager: 'pop3/oauth' }, oauth2: { provider: 'custom', tokenUrl: `${tokenBase}/ok` } },
      },
    ],
  };
  Object.assign(process.env, {
    POP3_INGEST_CONFIG: JSON.stringify(config),
    ALICE_PW: password('alice'),
    WRONG_PW: WRONG_PASSWORD,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    POWERTOOLS_SERVICE_NAME: 'pop3-ingest-test',
    // What the stack sets: Lambda drops events older than 150 s and retries once.
    POP3_INGEST_MAX_EVENT_AGE_S: '150',
    POP3_INGEST_INVOKE_RETRIES: '1',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
  });
  delete process.env.POWERTOOLS_DEV;
  // Imported only now: the container-level runtime reads the environment once, like Lambda.
  ({ handler } = await import('../../lambda/handler/index.js'));
});

afterAll(async () => {
  await Promise.allSettled([
    dovecot?.stop(),
    s3?.stop(),
    new Promise<void>((resolve) => (tokenServer ? tokenServer.close(() => resolve()) : resolve())),
  ]);
  eventBridge.restore();
  secretsManager.restore();
});

beforeEach(() => {
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).callsFake((input: { Entries?: PutEventsRequestEntry[] }) => {
    const entries = input.Entries ?? [];
    published.push(...entries);
    return { FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `eb-${published.length}-${i}` })) };
  });
  secretsManager.reset();
  secretsManager.on(GetSecretValueCommand, { SecretId: 'pop3/oauth' }).resolves({ SecretString: JSON.stringify(OAUTH_SECRET) });
  secretsManager.on(GetSecretValueCommand, { SecretId: 'pop3/bob' }).resolves({ SecretString: password('bob'), VersionId: 'b1' });
  secretsManager
    .on(GetSecretValueCommand, { SecretId: 'pop3/carol' })
    .resolvesOnce({ SecretString: JSON.stringify({ pw: WRONG_CAROL }), VersionId: 'c1' })
    .resolves({ SecretString: JSON.stringify({ pw: password('carol') }), VersionId: 'c2' });
});

/** Invokes the handler, capturing stdout, and records everything for the secret scan. */
async function invoke(event: unknown) {
  const before = published.length;
  const run = await captureOutput(() => handler(event, lambdaContext()));
  const events = published.slice(before);
  transcript.push(run.text, JSON.stringify(run.result ?? null), JSON.stringify(events));
  if (run.error) {
    const e = run.error as RetryableInvocationError;
    transcript.push(String(e.message), String(e.stack), JSON.stringify(e));
  }
  return { ...run, events };
}

describe('the Lambda handler against Dovecot, S3 on loopback and a mocked EventBridge', () => {
  it('stores, publishes and deletes a mailbox, and reports it in the summary, metrics and logs', async () => {
    // Act
    const { result, error, lines, events } = await invoke({ mailboxId: 'alice' });
    // Assess: the summary
    expect(error).toBeUndefined();
    expect(result?.summaries).toHaveLength(1);
    const summary = result!.summaries[0]!;
    expect(summary).toMatchObject({ mailboxId: 'alice', status: 'ok', newMessages: 3, stored: 3, published: 3, deleted: 3, backlog: 0 });
    // Assess: S3 holds three objects under the default prefix
    const listed = await testS3Client(s3.endpoint).send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'mail/' }));
    expect(listed.KeyCount).toBe(3);
    for (const object of listed.Contents ?? []) {
      const head = await testS3Client(s3.endpoint).send(new HeadObjectCommand({ Bucket: BUCKET, Key: object.Key }));
      transcript.push(JSON.stringify(head.Metadata));
    }
    // Assess: one event per message plus "Mailbox Polled", on the configured bus and source
    expect(events.map((e) => e.DetailType).filter((t) => t !== 'Mailbox Polled')).toHaveLength(3);
    expect(events.every((e) => e.EventBusName === 'mail-bus' && e.Source === 'pop3-ingest.test')).toBe(true);
    expect(events.some((e) => e.DetailType === 'Mailbox Polled')).toBe(true);
    // Assess: the server is empty (deleted only after stored and published)
    expect(await dovecot.maildirFiles('alice')).toEqual([]);
    // Assess: EMF metrics on stdout
    const metrics = emfMetrics(lines);
    const forAlice = (name: string) => metrics.find((m) => m.name === name && m.dimensions.mailbox === 'alice');
    expect(forAlice('MessagesStored')).toMatchObject({ value: 3, dimensions: { namespace: 'Pop3Ingest', service: 'pop3-ingest-test' } });
    expect(forAlice('BytesStored')?.value).toBe(summary.bytes);
    expect(forAlice('PollSucceeded')?.value).toBe(1);
    expect(forAlice('Backlog')?.value).toBe(0);
    expect(typeof forAlice('PollDuration')?.value).toBe('number');
    expect(metrics.some((m) => m.name === 'ColdStart')).toBe(true);
    // Assess: structured logs carry the mailbox and the request id
    const polled = lines.find((l) => l.message === 'mailbox polled');
    expect(polled).toMatchObject({ level: 'INFO', service: 'pop3-ingest-test', mailboxId: 'alice', stored: 3 });
    expect(polled?.function_request_id).toEqual(expect.any(String));
  });

  it('stores nothing twice when polled again', async () => {
    await dovecot.seed('alice', [makeMessage(6, 700)]);
    const { result, lines } = await invoke({ mailboxId: 'alice' });
    expect(result?.summaries[0]).toMatchObject({ status: 'ok', newMessages: 1, stored: 1, alreadyStored: 0 });
    expect(emfMetrics(lines).some((m) => m.name === 'ColdStart')).toBe(false);
  });

  it('reads a password from Secrets Manager', async () => {
    const { result } = await invoke({ mailboxId: 'bob' });
    expect(result?.summaries[0]).toMatchObject({ mailboxId: 'bob', status: 'ok', stored: 1, deleted: 0 });
  });

  it('re-reads a rotated secret after an auth failure, logs in on the second try, and counts no auth error', async () => {
    // Act: the cached secret holds a stale password; Secrets Manager has the new one.
    const { result, lines } = await invoke({ mailboxId: 'carol' });
    // Assess
    expect(result?.summaries[0]).toMatchObject({ mailboxId: 'carol', status: 'ok', stored: 1 });
    expect(secretsManager.commandCalls(GetSecretValueCommand, { SecretId: 'pop3/carol' })).toHaveLength(2);
    expect(lines.some((l) => l.message === 'authentication failed; retrying once with the secret read afresh')).toBe(true);
    // Errors{auth} only when the failure is final: the refresh fixed it, so no alarm may fire.
    const metrics = emfMetrics(lines).filter((m) => m.dimensions.mailbox === 'carol');
    expect(metrics.filter((m) => m.name === 'Errors' || m.name === 'ErrorsByResponseCode')).toEqual([]);
    expect(metrics.find((m) => m.name === 'PollSucceeded')?.value).toBe(1);
  });

  it('reports a refused password without throwing and without a second login', async () => {
    // Act
    const { result, error, lines } = await invoke({ mailboxId: 'wrong-pw' });
    // Assess: returned, not thrown: a retry storm would only lock the account
    expect(error).toBeUndefined();
    expect(result?.summaries[0]).toMatchObject({ mailboxId: 'wrong-pw', status: 'failed', error: { category: 'auth', retryable: false } });
    expect(lines.filter((l) => l.message === 'authentication failed; retrying once with the secret read afresh')).toHaveLength(0);
    const metrics = emfMetrics(lines);
    expect(metrics.find((m) => m.name === 'Errors' && m.dimensions.mailbox === 'wrong-pw')?.dimensions.errorClass).toBe('auth');
    expect(metrics.find((m) => m.name === 'PollSucceeded' && m.dimensions.mailbox === 'wrong-pw')?.value).toBe(0);
    // A poll that never listed the mailbox knows no backlog: nothing, not a reassuring 0.
    expect(metrics.filter((m) => m.name === 'Backlog' && m.dimensions.mailbox === 'wrong-pw')).toEqual([]);
    // RFC 3206: Dovecot answers -ERR [AUTH]; the response code is counted on its own
    expect(metrics.find((m) => m.name === 'ErrorsByResponseCode' && m.dimensions.mailbox === 'wrong-pw')?.dimensions.responseCode).toBe('AUTH');
  });

  it('retries a revoked OAuth2 grant exactly once, then reports it as an auth failure', async () => {
    // Prepare
    tokenRequests.length = 0;
    // Act
    const { result, error } = await invoke({ mailboxId: 'oauth-revoked' });
    // Assess
    expect(error).toBeUndefined();
    expect(result?.summaries[0]).toMatchObject({ status: 'failed', error: { code: 'OAUTH_INVALID_GRANT', category: 'auth' } });
    expect(tokenRequests).toEqual([OAUTH_SECRET.refreshToken, OAUTH_SECRET.refreshToken]);
  });

  it('never sends a token the server did not ask for, and reports the missing mechanism', async () => {
    const { result } = await invoke({ mailboxId: 'oauth-unoffered' });
    expect(result?.summaries[0]).toMatchObject({ status: 'failed', error: { category: 'permanent' } });
  });

  it('throws on a transient failure of a fresh scheduled poll, so Lambda retries', async () => {
    const { error, lines } = await invoke({ mailboxId: 'offline', scheduledTime: new Date(Date.now() - 5_000).toISOString() });
    expect(error).toMatchObject({ code: 'INVOCATION_TRANSIENT_FAILURE', category: 'transient' });
    const summaries = (error as RetryableInvocationError).summaries;
    expect(summaries[0]).toMatchObject({ mailboxId: 'offline', status: 'failed', error: { code: 'POP3_CONNECT_FAILED', category: 'transient' } });
    const metrics = emfMetrics(lines);
    expect(metrics.find((m) => m.name === 'Errors' && m.dimensions.mailbox === 'offline')?.dimensions.errorClass).toBe('transient');
    expect(metrics.filter((m) => m.name === 'Backlog' && m.dimensions.mailbox === 'offline')).toEqual([]);
  });

  it('returns and counts a transient failure whose retry would land past the maximum event age (no dead letter)', async () => {
    // Act: due 100 s ago: this may be Lambda's one retry already, and a next one would come
    // at ~220 s, past the 150 s the stack set. A throw would only dead-letter it.
    const { result, error, lines } = await invoke({ mailboxId: 'offline', scheduledTime: new Date(Date.now() - 100_000).toISOString() });
    // Assess
    expect(error).toBeUndefined();
    expect(result?.summaries[0]).toMatchObject({ mailboxId: 'offline', status: 'failed', error: { category: 'transient' } });
    expect(result?.retryDeferred).toMatch(/dead-letter/);
    expect(emfMetrics(lines).find((m) => m.name === 'RetryDeferred' && m.dimensions.mailbox === 'offline')?.value).toBe(1);
  });

  it('returns an unknown mailbox as a permanent error instead of throwing', async () => {
    const { result, error } = await invoke({ mailboxId: 'nobody' });
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ summaries: [], error: { code: 'MAILBOX_UNKNOWN', category: 'permanent' } });
  });

  it('polls every mailbox for "*" and reports each', async () => {
    const { error } = await invoke({ mailboxId: '*' });
    const summaries = (error as RetryableInvocationError).summaries;
    expect(summaries.map((s) => [s.mailboxId, s.status])).toEqual([
      ['alice', 'ok'], ['bob', 'ok'], ['carol', 'ok'], ['wrong-pw', 'failed'], ['offline', 'failed'],
      ['oauth-revoked', 'failed'], ['oauth-unoffered', 'failed'],
    ]);
  });

  it('never logs, returns or publishes a password or a token', () => {
    // Prepare: every secret any test used
    const secrets = [...DEFAULT_USERS.map((u) => u.password), WRONG_PASSWORD, WRONG_CAROL, OAUTH_SECRET.clientSecret, OAUTH_SECRET.refreshToken, ACCESS_TOKEN];
    const everything = transcript.join('\n');
    // Assess: the transcript is substantial, and clean
    expect(everything.length).toBeGreaterThan(5_000);
    for (const secret of secrets) expect(everything).not.toContain(secret);
    for (const secret of secrets) expect(everything).not.toContain(Buffer.from(secret).toString('base64'));
  });
});
