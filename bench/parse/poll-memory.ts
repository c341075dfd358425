/**
 * Memory of `poll --parse` through the whole path: the compiled CLI as its own process, a real
 * Dovecot on loopback, into a local folder and into S3 (the same S3 adapters and wiring the Lambda
 * handler uses, through the real SDK to the loopback fake S3 of test/adapters: fauxqs refuses
 * request bodies over 11 MiB, and a 73 MiB attachment is one PutObject; S3 takes up to 5 GiB). Peak RSS (VmHWM of the CLI process) with a 1 MiB message
 * and with a big one (default 100 MiB, one base64 attachment filling it); the growth between the
 * two is what the message's size costs. Target: growth <= 64 MiB (issue 14).
 *
 *   npm run build && npx tsx bench/parse/poll-memory.ts [--runs 3] [--big-mib 100] [--no-s3]
 *
 * Prints figures; never asserts (speed and memory targets live in benchmarks, not in tests).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCliPoll, type CliRun } from '../e2e/cli.js';
import { fmt, median } from '../report.js';
import { DEFAULT_USERS, startDovecot } from '../../test/support/dovecot.js';
import { startFakeS3Server } from '../../test/adapters/fake-s3-server.js';
import { makeMessage } from './make-message.js';

const MiB = 1024 * 1024;
const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, 'big-mib': { type: 'string', default: '100' }, 'no-s3': { type: 'boolean', default: false } } });
const runs = Number(values.runs);
const bigBytes = Number(values['big-mib']) * MiB;

const work = await mkdtemp(join(tmpdir(), 'pop3-ingest-parse-mem-'));
// The fake S3 keeps objects in THIS process's memory: only the CLI child is measured.
const [dovecot, s3Server] = await Promise.all([startDovecot(), values['no-s3'] ? undefined : startFakeS3Server()]);
const s3 = s3Server;
const small = DEFAULT_USERS[0]!;
const big = DEFAULT_USERS[1]!;
try {
  const smallMade = await makeMessage(join(work, 'small.eml'), MiB);
  const bigMade = await makeMessage(join(work, 'big.eml'), bigBytes);
  await dovecot.seed(small.user, [await readFile(join(work, 'small.eml'))]);
  // Read once into this (unmeasured) process to seed; the CLI process is what is measured.
  await dovecot.seed(big.user, [await readFile(join(work, 'big.eml'))]);
  console.log(`messages: small ${fmt(smallMade.size / MiB)} MiB, big ${fmt(bigMade.size / MiB)} MiB with one base64 attachment of ${fmt(bigMade.attachmentSize / MiB)} MiB decoded`);

  let bucketNo = 0;
  const poll = async (user: { user: string; password: string }, parse: boolean, target: 'local' | 's3'): Promise<CliRun> => {
    const out = join(work, 'out');
    await rm(out, { recursive: true, force: true });
    const args = [
      '--host', dovecot.host, '--port', String(dovecot.pop3sPort), '--tls', 'implicit', '--ca', dovecot.certs.caFile,
      '--user', user.user, '--password-env', 'BENCH_PW', '--out', out, '--max-message-size', String(2 * bigBytes),
      ...(parse ? ['--parse'] : []),
    ];
    const env: NodeJS.ProcessEnv = { ...process.env, BENCH_PW: user.password };
    const bucket = `parse-mem-${++bucketNo}`;
    if (target === 's3') {
      args.push('--bucket', bucket);
      Object.assign(env, { AWS_ENDPOINT_URL_S3: s3Server!.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench' });
    }
    try {
      const run = await runCliPoll(args, env);
      const s = run.summaries[0];
      if (run.exitCode !== 0 || s?.status !== 'ok' || s.stored !== 1) throw new Error(`poll failed: exit ${String(run.exitCode)} ${JSON.stringify(s)}`);
      if (parse && s.warnings.some((w) => /parse/i.test(w))) {
        const events = await readFile(join(out, 'events.jsonl'), 'utf8').catch(() => '');
        const failed = events.split('\n').find((l) => l.includes('Message Parse Failed')) ?? s.warnings.join('; ');
        throw new Error(`${target} ${user.user}: parse did not complete: ${failed}`);
      }
      return run;
    } finally {
      if (target === 's3') s3!.model.objects.clear();
    }
  };

  const cases: Array<{ name: string; user: { user: string; password: string }; parse: boolean; target: 'local' | 's3' }> = [
    { name: 'local, 1 MiB, --parse', user: small, parse: true, target: 'local' as const },
    { name: `local, ${fmt(bigBytes / MiB)} MiB, --parse`, user: big, parse: true, target: 'local' as const },
    { name: `local, ${fmt(bigBytes / MiB)} MiB, no parse`, user: big, parse: false, target: 'local' as const },
    ...(s3 ? [
      { name: 's3, 1 MiB, --parse', user: small, parse: true, target: 's3' as const },
      { name: `s3, ${fmt(bigBytes / MiB)} MiB, --parse`, user: big, parse: true, target: 's3' as const },
      { name: `s3, ${fmt(bigBytes / MiB)} MiB, no parse`, user: big, parse: false, target: 's3' as const },
    ] : []),
  ];
  const rss = new Map<string, number[]>();
  const wall = new Map<string, number[]>();
  // Interleaved, so a noisy neighbour spreads over every case instead of spoiling one.
  for (let r = 0; r < runs; r++) {
    for (const c of cases) {
      const run = await poll(c.user, c.parse, c.target);
      rss.set(c.name, [...(rss.get(c.name) ?? []), run.peakRssKb / 1024]);
      wall.set(c.name, [...(wall.get(c.name) ?? []), run.wallMs]);
    }
  }
  console.log(`\npeak RSS of the CLI process (VmHWM), median of ${runs}:`);
  for (const c of cases) console.log(`  ${c.name.padEnd(30)} ${fmt(median(rss.get(c.name)!)).padStart(7)} MiB   ${fmt(median(wall.get(c.name)!) / 1000).padStart(6)} s`);
  const growth = (a: string, b: string): number => median(rss.get(b)!) - median(rss.get(a)!);
  const localGrowth = growth(cases[0]!.name, cases[1]!.name);
  console.log(`\ngrowth 1 MiB -> ${fmt(bigBytes / MiB)} MiB with --parse, local folder: +${fmt(localGrowth)} MiB (target <= 64 MiB: ${localGrowth <= 64 ? 'met' : 'MISSED'})`);
  console.log(`parse's own cost on the big message, local folder: +${fmt(growth(cases[2]!.name, cases[1]!.name))} MiB over the same poll without --parse`);
  if (s3) {
    const s3Growth = growth(cases[3]!.name, cases[4]!.name);
    console.log(`growth 1 MiB -> ${fmt(bigBytes / MiB)} MiB with --parse, S3: +${fmt(s3Growth)} MiB (target <= 64 MiB: ${s3Growth <= 64 ? 'met' : 'MISSED'})`);
    console.log(`parse's own cost on the big message, S3: +${fmt(growth(cases[5]!.name, cases[4]!.name))} MiB over the same poll without --parse`);
  }
} finally {
  await Promise.allSettled([dovecot.stop(), s3Server?.stop()]);
  await rm(work, { recursive: true, force: true });
}
