/**
 * Backlog drain: the handler, invoked again and again (each invocation a fresh process with a
 * short simulated time budget), until the mailbox's backlog is 0. Keep mode and delete mode.
 */
import { median } from '../report.js';
import type { SeededCorpus } from './corpus.js';
import type { EventBridgeHttp } from './eventbridge-http.js';
import { invokeInChild, type Invocation } from './invoke.js';

/** Failed invocations in a row, with the backlog unchanged, after which a drain gives up. */
const STALL_INVOCATIONS = 5;

/** A drain's settings. */
export interface DrainSettings {
  mailboxId: string;
  budgetMs: number;
  /** Safety stop: a drain that needs more invocations than this failed. */
  maxInvocations: number;
  secret: string;
  storedLog: string;
  env: NodeJS.ProcessEnv;
  /** PutEvents served over HTTP (env's AWS_ENDPOINT_URL_EVENTBRIDGE leads to it): counted there. */
  eventBridge?: EventBridgeHttp;
  log: (line: string) => void;
}

/** A drain's figures. */
export interface DrainFigures {
  invocations: number;
  /** Sum of child wall times (process start-up included). */
  totalWallMs: number;
  /** Sum of handler times (what Lambda bills). */
  totalHandlerMs: number;
  messagesPerSecond: number;
  megabytesPerSecond: number;
  peakRssKbMax: number;
  peakRssKbMedian: number;
  baselineRssKbMedian: number;
  stored: number;
  deleted: number;
  /** Statuses other than 'ok' seen along the way (e.g. a deadline is still 'ok'). */
  nonOkStatuses: string[];
  drained: boolean;
  perInvocation: Array<Pick<Invocation, 'handlerMs' | 'wallMs' | 'peakRssKb'> & { stored: number; backlog: number; status: string; deleted: number; deletionsDeferred: number }>;
  /** Raw counts summed over the invocations (for the cost figures). */
  s3: Record<string, number>;
  putEventsCalls: number;
  entries: number;
  eventChunks: number;
  secretsManagerCalls: number;
}

/** Invokes until a poll reports status ok and backlog 0, or maxInvocations. */
export async function drain(settings: DrainSettings, corpus: SeededCorpus): Promise<DrainFigures> {
  const f: DrainFigures = {
    invocations: 0, totalWallMs: 0, totalHandlerMs: 0, messagesPerSecond: 0, megabytesPerSecond: 0,
    peakRssKbMax: 0, peakRssKbMedian: 0, baselineRssKbMedian: 0, stored: 0, deleted: 0, nonOkStatuses: [],
    drained: false, perInvocation: [], s3: {}, putEventsCalls: 0, entries: 0, eventChunks: 0, secretsManagerCalls: 0,
  };
  const baselines: number[] = [];
  while (f.invocations < settings.maxInvocations) {
    const before = settings.eventBridge?.counts();
    const inv = await invokeInChild(
      {
        event: { mailboxId: settings.mailboxId }, budgetMs: settings.budgetMs, secret: settings.secret, storedLog: settings.storedLog,
        eventBridge: settings.eventBridge === undefined ? 'in-process' : 'http',
      },
      settings.env,
    );
    if (before !== undefined && settings.eventBridge !== undefined) {
      // The child did not see these calls: the server did, during this invocation only.
      const after = settings.eventBridge.counts();
      inv.aws.putEventsCalls += after.putEventsCalls - before.putEventsCalls;
      inv.aws.entries += after.entries - before.entries;
      inv.aws.eventChunks += after.eventChunks - before.eventChunks;
    }
    f.invocations += 1;
    const s = inv.summaries[0];
    const row = {
      handlerMs: inv.handlerMs, wallMs: inv.wallMs, peakRssKb: inv.peakRssKb,
      stored: s?.stored ?? 0, backlog: s?.backlog ?? -1, status: s?.status ?? `none (${inv.error ?? '?'})`, deleted: s?.deleted ?? 0,
      deletionsDeferred: s?.deletionsDeferred ?? 0,
    };
    f.perInvocation.push(row);
    f.totalWallMs += inv.wallMs;
    f.totalHandlerMs += inv.handlerMs;
    f.peakRssKbMax = Math.max(f.peakRssKbMax, inv.peakRssKb);
    baselines.push(inv.baselineRssKb);
    f.stored += row.stored;
    f.deleted += row.deleted;
    for (const [k, v] of Object.entries(inv.s3)) f.s3[k] = (f.s3[k] ?? 0) + v;
    f.putEventsCalls += inv.aws.putEventsCalls;
    f.entries += inv.aws.entries;
    f.eventChunks += inv.aws.eventChunks;
    f.secretsManagerCalls += inv.aws.secretsManagerCalls;
    if (row.status !== 'ok') f.nonOkStatuses.push(`#${f.invocations}: ${row.status}${s?.error ? ` ${s.error.code}` : ''}`);
    settings.log(
      `    invocation ${f.invocations}: ${row.status}${s?.error ? ` (${s.error.code}: ${s.error.message.slice(0, 120)})` : ''} stored ${row.stored} deleted ${row.deleted} ` +
        `${row.deletionsDeferred > 0 ? `deferred ${row.deletionsDeferred} ` : ''}backlog ${row.backlog} handler ${(inv.handlerMs / 1000).toFixed(1)} s, peak RSS ${(inv.peakRssKb / 1024).toFixed(0)} MiB`,
    );
    // Deletions left for the next poll (too little time left) are work owed too.
    if (row.status === 'ok' && row.backlog === 0 && row.deletionsDeferred === 0) {
      f.drained = true;
      break;
    }
    // A drain that stopped making progress (e.g. every poll failing at the same checkpoint) is
    // reported as not drained rather than retried until maxInvocations.
    const recent = f.perInvocation.slice(-STALL_INVOCATIONS);
    if (recent.length === STALL_INVOCATIONS && recent.every((r) => r.status !== 'ok' && r.backlog === row.backlog)) {
      settings.log(`    no progress in ${STALL_INVOCATIONS} invocations: stopping the drain`);
      break;
    }
  }
  f.peakRssKbMedian = median(f.perInvocation.map((r) => r.peakRssKb));
  f.baselineRssKbMedian = median(baselines);
  const seconds = f.totalWallMs / 1000;
  f.messagesPerSecond = corpus.messages / seconds;
  f.megabytesPerSecond = corpus.bytes / (1024 * 1024) / seconds;
  return f;
}
