/**
 * Idle poll: a mailbox whose messages were all taken in before, polled again with nothing new.
 * Ours as the handler in-process (AWS requests counted at the SDK) and as a CLI process
 * (start-up included), against `mpop --only-new` in keep mode with a filled UIDL file; the
 * three are interleaved, order rotated each repetition, medians reported.
 */
import type { MpopResult } from '../mpop.js';
import { countRequests } from '../../lambda/adapters/aws-counter.js';
import { createHandler } from '../../lambda/handler/index.js';
import { createHandlerRuntime } from '../../lambda/compose/handler-runtime.js';
import { lambdaContext } from '../../test/handler/support.js';
import { median } from '../report.js';
import { installFakeAws } from './aws-fakes.js';
import type { CliRun } from './cli.js';

/** How to run each contender once. */
export interface IdleContenders {
  reps: number;
  log: (line: string) => void;
  /** Takes the whole mailbox in through the handler once (state in S3). */
  primeHandler(): Promise<void>;
  cli(): Promise<CliRun>;
  mpop(): Promise<MpopResult>;
  /** What the Secrets Manager fake answers. */
  secret: string;
}

/** AWS requests of one in-process idle poll, by kind. */
export type RequestCounts = Record<string, number>;

/** The idle figures. */
export interface IdleFigures {
  handler: { ms: number[]; medianMs: number; coldRequests: RequestCounts; warmRequests: RequestCounts };
  cli: { ms: number[]; medianMs: number; peakRssKb: number };
  mpop: { ms: number[]; medianMs: number; peakRssKb: number };
}

/** Primes all three, then measures `reps` interleaved idle polls of each. */
export async function runIdle(c: IdleContenders): Promise<IdleFigures> {
  c.log('idle: priming the handler state, the CLI state and mpop\'s UIDL file');
  await c.primeHandler();
  const primedCli = await c.cli();
  if (primedCli.summaries[0]?.status !== 'ok') throw new Error(`idle: CLI prime failed: ${JSON.stringify(primedCli.summaries[0]?.error)}`);
  await c.mpop();

  const fakes = installFakeAws(c.secret);
  const runtime = createHandlerRuntime(process.env);
  const s3 = countRequests(runtime.s3);
  const handler = createHandler(runtime);
  const figures: IdleFigures = {
    handler: { ms: [], medianMs: 0, coldRequests: {}, warmRequests: {} },
    cli: { ms: [], medianMs: 0, peakRssKb: 0 },
    mpop: { ms: [], medianMs: 0, peakRssKb: 0 },
  };
  const snapshot = (): RequestCounts => ({
    ...s3.counts,
    PutEventsCalls: fakes.counts.putEventsCalls,
    PutEventsEntries: fakes.counts.entries,
    SecretsManagerCalls: fakes.counts.secretsManagerCalls,
  });
  const handlerOnce = async (): Promise<void> => {
    const before = snapshot();
    const started = performance.now();
    const result = await handler({ mailboxId: 'idle' }, lambdaContext(60_000));
    const ms = performance.now() - started;
    const s = result.summaries[0];
    if (s?.status !== 'ok' || s.newMessages !== 0) throw new Error(`idle: handler poll not idle: ${JSON.stringify(s)}`);
    const after = snapshot();
    const used = Object.fromEntries(Object.keys(after).map((k) => [k, (after[k] ?? 0) - (before[k] ?? 0)]));
    // The first poll of a container is cold (secret fetched); the last one is what every later poll costs.
    if (figures.handler.ms.length === 0) figures.handler.coldRequests = used;
    figures.handler.warmRequests = used;
    figures.handler.ms.push(ms);
  };
  const cliOnce = async (): Promise<void> => {
    const run = await c.cli();
    const s = run.summaries[0];
    if (s?.status !== 'ok' || s.newMessages !== 0) throw new Error(`idle: CLI poll not idle: ${JSON.stringify(s)}`);
    figures.cli.ms.push(run.wallMs);
    figures.cli.peakRssKb = Math.max(figures.cli.peakRssKb, run.peakRssKb);
  };
  const mpopOnce = async (): Promise<void> => {
    const run = await c.mpop();
    figures.mpop.ms.push(run.elapsedMs);
    figures.mpop.peakRssKb = Math.max(figures.mpop.peakRssKb, run.peakRssKb);
  };
  try {
    // reps + 1 rounds: the first is the cold one (its handler call is the container's first,
    // whose requests are kept as coldRequests) and is left out of the medians below.
    const order = [handlerOnce, cliOnce, mpopOnce];
    for (let rep = 0; rep < c.reps + 1; rep += 1) {
      for (let k = 0; k < order.length; k += 1) await (order[(rep + k) % order.length] as () => Promise<void>)();
      c.log(`  rep ${rep + 1}: handler ${figures.handler.ms.at(-1)?.toFixed(0)} ms, CLI ${figures.cli.ms.at(-1)?.toFixed(0)} ms, mpop ${figures.mpop.ms.at(-1)?.toFixed(0)} ms`);
    }
  } finally {
    fakes.restore();
    runtime.s3.destroy();
  }
  // Drop the first repetition of each (cold caches, cold container), keep the rest.
  for (const f of [figures.handler, figures.cli, figures.mpop]) f.medianMs = median(f.ms.slice(1));
  return figures;
}
