/**
 * The contenders as users run them, each a whole process timed from spawn to exit: the CLI
 * (`node dist/lambda/cli/main.js poll`) into a local folder or into S3 + EventBridge, and mpop
 * into a maildir. Every run is checked: a contender that stored fewer messages than the mailbox
 * holds fails the benchmark instead of posting a flattering time.
 */
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCliPoll, type CliRun } from '../e2e/cli.js';
import { prepareMpop, type Mpop } from '../mpop.js';
import { PASSWORD, type Bench } from './context.js';
import type { Sample } from './series.js';

/** Where a contender reaches the mailbox: Dovecot directly or a proxy in front of it. */
export interface Endpoint {
  user: string;
  port: number;
  /** Largest message the CLI accepts (its default limit is below the 100 MiB memory run). */
  maxMessageSize?: number;
}

/** Where the CLI stores: a local folder (default) or a bucket and bus through these endpoints. */
export interface AwsTarget {
  bucket: string;
  busName: string;
  s3Endpoint: string;
  eventBridgeEndpoint: string;
}

/** Writes a one-mailbox CLI config (mode 0600) and returns its path. */
export async function writeCliConfig(bench: Bench, name: string, at: Endpoint): Promise<string> {
  const mailbox = {
    id: at.user,
    host: bench.dovecot.host,
    port: at.port,
    tls: { mode: 'implicit', ca: bench.dovecot.ca },
    auth: { user: at.user, secret: { env: 'BENCH_PW' } },
    ...(at.maxMessageSize === undefined ? {} : { limits: { maxMessageSize: at.maxMessageSize } }),
  };
  const file = join(bench.work, `${name}.json`);
  await writeFile(file, JSON.stringify({ mailboxes: [mailbox] }), { mode: 0o600 });
  return file;
}

/**
 * One `poll` of the CLI. `out` is emptied first (outside the timing) unless `keepOut`, so every
 * run starts with no seen-state and fetches the whole mailbox; `expectStored` is checked.
 * `cpuProfDir`: write a V8 CPU profile there (slows the run: its figures are not comparable).
 */
export async function runCli(
  config: string,
  out: string,
  expectStored: number,
  options: { aws?: AwsTarget; keepOut?: boolean; cpuProfDir?: string } = {},
): Promise<Sample & { run: CliRun }> {
  if (!options.keepOut) await rm(out, { recursive: true, force: true });
  const args = ['--config', config, '--out', out];
  const env: NodeJS.ProcessEnv = { ...process.env, BENCH_PW: PASSWORD };
  if (options.aws) {
    args.push('--bucket', options.aws.bucket, '--event-bus', options.aws.busName);
    Object.assign(env, {
      AWS_ENDPOINT_URL_S3: options.aws.s3Endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: options.aws.eventBridgeEndpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
    });
  }
  const run = await runCliPoll(args, env, options.cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`]);
  const s = run.summaries[0];
  if (run.exitCode !== 0 || s?.status !== 'ok' || s.stored !== expectStored || s.published < expectStored) {
    throw new Error(`CLI poll: exit ${String(run.exitCode)}, expected ${expectStored} stored, got ${JSON.stringify(s)}`);
  }
  return { elapsedMs: run.wallMs, cpuMs: run.cpuMs, peakRssKb: run.peakRssKb, run };
}

/** mpop delivering into a maildir under the work folder, checked for `expected` messages. */
export async function prepareMpopMaildir(bench: Bench, name: string, at: Endpoint, expected: number): Promise<Mpop> {
  const maildir = join(bench.work, `${name}-maildir`);
  const mpop = await prepareMpop(
    { host: bench.dovecot.host, port: at.port, user: at.user, password: PASSWORD, caFile: bench.dovecot.certs.caFile },
    { maildir },
  );
  return {
    async run() {
      const r = await mpop.run();
      const delivered = (await readdir(join(r.maildir ?? maildir, 'new'))).length;
      if (delivered !== expected) throw new Error(`mpop delivered ${delivered} of ${expected} messages into its maildir`);
      return r;
    },
    dispose: () => mpop.dispose(),
  };
}
