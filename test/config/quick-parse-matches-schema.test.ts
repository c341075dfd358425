/**
 * The zod-free check every start runs (quick-parse.ts) may only say "valid, and here is the
 * Config" when the zod schema says the same, with the same Config down to key order; anything
 * else it hands to the schema. A quick check that let through what the schema refuses would
 * weaken the config's guards (plaintext login, unknown fields); one that returned another value
 * would change behaviour. Both are tested against the schema itself.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../lambda/config/load.js';
import { quickParseConfig } from '../../lambda/config/quick-parse.js';
import { parseConfig } from '../../lambda/config/schema.js';

const pinBase64 = Buffer.alloc(32, 7).toString('base64');
const pinHex = Buffer.alloc(32, 0xab).toString('hex').replace(/(..)(?!$)/g, '$1:');

/** Configs people write: each must take the quick path, and give the schema's Config. */
const COMMON: Record<string, unknown> = {
  'examples/mailboxes.json': JSON.parse(readFileSync(new URL('../../examples/mailboxes.json', import.meta.url), 'utf8')),
  'the benchmark\'s': { mailboxes: [{ id: 'throughput', host: '127.0.0.1', port: 9995, tls: { mode: 'implicit', ca: '-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n' }, auth: { user: 'u', secret: { env: 'BENCH_PW' } } }] },
  'a flag mailbox': {
    mailboxes: [{ id: 'default', host: 'pop.example.com', tls: { mode: 'starttls', caFile: 'ca.pem', pinSha256: `sha256//${pinBase64}` }, auth: { user: 'me', secret: { file: 'pw' }, mechanisms: ['SCRAM-SHA-256', 'PLAIN'] }, limits: { maxBytes: 5_000_000 } }],
    storage: { bucket: 'my-mail', prefix: 'raw/' },
    events: { busName: 'mail-bus' },
  },
  'every optional field': {
    $schema: './schema.json',
    mailboxes: [
      {
        id: 'all.fields_1', host: 'h', port: 110, tls: { mode: 'none', allowInsecureAuth: true, servername: 's', minVersion: 'TLSv1.3', pinSha256: [pinHex, pinBase64] },
        auth: { user: 'u', secret: { secretsManager: 'arn', field: 'pw' }, oauth2: { provider: 'google', grant: 'client_credentials', scope: 'x' }, mechanisms: ['XOAUTH2'] },
        mode: 'headers', filter: { rules: [{ from: '/@x\\.com$/i', subject: 'invoice', minSize: 0, maxSize: 10, action: 'skip' }], otherwise: 'headers' },
        delete: 'after-store', limits: { maxMessages: 1, maxMessageSize: 1024 }, prefix: 'a/b/', schedule: 'cron(0/10 * * * ? *)', loginDelaySeconds: 300,
        acceptNewEpoch: true, acceptNewIdentity: false, maxAttempts: 100, pop3: { handshakeTimeoutMs: 1, commandTimeoutMs: 2, pipelineWindow: 1000 },
      },
      { id: 'b', host: 'h2', auth: { user: 'u', secret: { env: 'P' } }, parse: { attachments: false, maxBodyChars: 0 }, delete: 'after-days:99999' },
    ],
    storage: { statePrefix: 'ctl/' },
    events: { source: 'acme.mail' },
  },
};

function expectSameAsSchema(raw: unknown): void {
  const quick = quickParseConfig(raw);
  if (quick === undefined) return;
  const schema = parseConfig(raw);
  expect(quick).toStrictEqual(schema);
  expect(JSON.stringify(quick)).toBe(JSON.stringify(schema));
}

describe('the quick config check gives the schema\'s answer or none', () => {
  it.each(Object.entries(COMMON))('takes the quick path for %s, with the schema\'s Config', (_name, raw) => {
    expect(quickParseConfig(raw)).toBeDefined();
    expectSameAsSchema(raw);
  });

  it('takes the quick path for a validated Config fed back (the CLI re-validates one with its overrides)', () => {
    for (const raw of Object.values(COMMON)) {
      const once = parseConfig(raw);
      const again = {
        ...once,
        mailboxes: once.mailboxes.map((m) => ({ ...m, delete: m.delete.kind === 'after-days' ? `after-days:${m.delete.days}` : m.delete.kind })),
      };
      expect(quickParseConfig(again)).toBeDefined();
      expectSameAsSchema(again);
    }
  });

  it('never accepts what the schema refuses, nor returns another Config (random configs, valid and not)', () => {
    /** Left out, one of the good values, or (rarely, so whole configs often pass) one of the bad ones. */
    const field = <T,>(good: T[], bad: unknown[] = []) =>
      fc.oneof(
        { arbitrary: fc.constant(undefined), weight: 6 },
        ...(good.length === 0 ? [] : [{ arbitrary: fc.constantFrom(...good), weight: 8 }]),
        ...(bad.length === 0 ? [] : [{ arbitrary: fc.constantFrom(...bad), weight: 1 }]),
      );
    /** A required field: rarely left out. */
    const need = <T,>(good: T[], bad: unknown[] = []) =>
      fc.oneof({ arbitrary: fc.constantFrom(...good), weight: 16 }, { arbitrary: fc.constantFrom(undefined, ...bad), weight: 1 });
    const tls = fc.record({
      mode: field(['implicit', 'starttls', 'none'], ['tls', 1]),
      caFile: field(['ca.pem'], ['', 'a\nb']),
      ca: field(['PEM\n'], ['']),
      servername: field(['s'], ['']),
      minVersion: field(['TLSv1.2', 'TLSv1.3'], ['TLSv1.1']),
      pinSha256: field([pinBase64, `SHA256//${pinHex}`, [pinBase64]], [[], 'abc', [pinBase64, 'x']]),
      allowInsecureAuth: field([true, false], ['yes']),
      alowInsecureAuth: field([], [true]),
    });
    const auth = fc.record({
      user: need(['u'], ['', 7]),
      mechanisms: field([['PLAIN'], ['XOAUTH2']], [[], ['NTLM'], 'PLAIN']),
      secret: need([{ env: 'P' }, { file: 'f' }, { secretsManager: 'a', field: 'f' }], [{ env: '1P' }, { env: 'P', file: 'f' }, { file: 'f', field: 'x' }, {}]),
      oauth2: field([{ provider: 'microsoft' }, { provider: 'microsoft', grant: 'client_credentials', tenant: 't.com' }, { provider: 'google', tokenUrl: 'https://x/t' }], [{ provider: 'microsoft', grant: 'client_credentials' }, { provider: 'custom' }, { provider: 'google', tenant: 'bad tenant' }]),
    });
    const mailbox = fc.record({
      id: need(['a', 'b'], ['A', 'a..b', 'x'.repeat(65), '']),
      host: need(['h'], ['', 'h\r\n']),
      port: field([1, 995], [0, 65536, 1.5, '995']),
      tls: fc.option(tls, { nil: undefined }),
      auth,
      mode: field(['full', 'headers'], ['all']),
      filter: field([{}, { otherwise: 'skip', rules: [] }, { rules: [{ action: 'skip', subject: '/^re:/i' }] }], [{ rules: [{ action: 'skip', subject: '/(/' }] }, { rules: [{ action: 'full', from: 'x', minSize: -1 }] }, { rules: [{}] }]),
      delete: field(['never', 'after-store', 'after-days:7'], ['after-days:0', 'always']),
      limits: field([{}, { maxMessages: 5 }], [{ maxMessageSize: 0 }, { maxMessageSize: 2 ** 40 }, { maxBytes: 1.5 }]),
      prefix: field(['mail/', ''], ['/x/', 'a/../']),
      schedule: field(['rate(1 minute)'], ['rate(0 minutes)', 'every 5 minutes']),
      loginDelaySeconds: field([0, 86_400], [86_401, -1]),
      maxAttempts: field([1], [0, 101]),
      pop3: field([{ pipelineWindow: 1000 }, { handshakeTimeoutMs: 5 }], [{ pipelineWindow: 1 }, { commandTimeoutMs: 0 }]),
      parse: field([{}], [{ attachments: 'yes' }, { maxBodyChars: 5_000_001 }, true]),
    });
    const config = fc.record({
      $schema: field(['s'], [1]),
      mailboxes: fc.oneof({ arbitrary: fc.array(mailbox, { minLength: 1, maxLength: 2 }), weight: 20 }, fc.constant([]), fc.constant(undefined)),
      storage: field([{}, { bucket: 'my-mail' }, { statePrefix: 'p/' }], [{ bucket: 'My_Mail' }, { prefix: 'x' }]),
      events: field([{}, { busName: 'b' }], [{ source: 'aws.x' }, { busName: '' }]),
    });
    /** JSON has no undefined: an absent field is a missing key, as in a config file. */
    const asJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v)) as unknown;
    let quickPath = 0;
    fc.assert(
      fc.property(config, (c) => {
        const raw = asJson(c);
        let schemaOk = true;
        try {
          parseConfig(raw);
        } catch {
          schemaOk = false;
        }
        const quick = quickParseConfig(raw);
        if (quick !== undefined) quickPath += 1;
        // The threat: accepted here, refused by the schema.
        expect(quick === undefined || schemaOk).toBe(true);
        expectSameAsSchema(raw);
      }),
      { numRuns: 3000, seed: 42 },
    );
    // Otherwise this test would prove nothing.
    expect(quickPath).toBeGreaterThan(50);
  });

  it('leaves a wrong config to the schema, whose messages name every bad field as before', async () => {
    const raw = { mailboxes: [{ id: 'a', host: 'h', tls: { mode: 'none' }, auth: { user: 'u', secret: { env: 'P' } }, alowInsecureAuth: true }] };
    expect(quickParseConfig(raw)).toBeUndefined();
    const expected = (() => {
      try {
        parseConfig(raw, 'x.json');
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('the schema accepted it');
    })();
    expect(expected).toMatch(/alowInsecureAuth: unknown field/);
    await expect(validateConfig(raw, 'x.json')).rejects.toThrow(expected);
  });
});
