/**
 * seedMailbox: onboarding an existing mailbox. Records every message now on the server as seen,
 * without downloading it, so the first poll starts from now instead of importing years of mail.
 *
 * A seeded entry has kind 'seeded' and status 'published': the planner never fetches it
 * (ingestAction) and never deletes it (dueForDeletion takes kind 'full' only), because its body
 * is stored nowhere; the seed is no evidence that the message is safe. Its LIST size is kept so
 * the UID circuit breaker still recognises a renumbering.
 *
 * With `since`, each candidate's header block is read with TOP n 0 (pipelined, windowed) and a
 * message whose Date header is on or after `since` is left unrecorded: the next poll ingests it.
 * A message without a usable Date, or whose TOP the server refuses, is left for the poll too
 * (when in doubt, ingest: a duplicate costs less than a lost message).
 *
 * Same discipline as a poll: identity check, LOGIN-DELAY, lease, a fresh read of the state under
 * the lease and one compare-and-swap save. Seeding twice changes nothing (no lease, no write).
 */
import { randomUUID } from 'node:crypto';
import { StateKeeper } from './checkpoint.js';
import { SyncError } from './errors.js';
import { fetchJobs, FetchQueue } from './fetch-loop.js';
import { HeaderCapture } from './headers.js';
import { headerHash } from './ingest.js';
import { isValidMailboxId, messageKey } from './keys.js';
import { SYNC_LIMITS } from './limits.js';
import { assertLoginAllowed, saveLoginRecord, watchLogins } from './login-delay.js';
import { checkIdentity, LeaseRenewal } from './poll.js';
import { listedMessages } from './listing.js';
import type { Clock, ListedMessage, Logger, MailboxSession } from './ports.js';
import type { SeenEntry, SeenState } from './state.js';
import { boundText, errorInfo, statusFor } from './summary.js';
import type { MailboxPolicy, PollDependencies } from './types.js';

/** Caller's controls for one seed. */
export interface SeedOptions {
  /** Keep messages dated on or after this instant unrecorded, for the next poll to ingest. */
  since?: Date;
  signal?: AbortSignal;
  /** Identifies this seeder in the lease. */
  owner?: string;
  leaseTtlMs?: number;
}

/** Outcome of one seed. */
export interface SeedSummary {
  mailboxId: string;
  status: 'ok' | 'busy' | 'failed';
  startedAt: string;
  durationMs: number;
  /** ISO-8601 `since`, when given. */
  since?: string;
  /** Messages on the server. */
  serverMessages: number;
  /** Listed messages the seen-state already knew (left as they are). */
  alreadyKnown: number;
  /** Messages recorded as seen now (never fetched, never deleted by us). */
  seeded: number;
  /** Dated on or after `since`: left for the next poll. */
  recent: number;
  /** No usable Date header, or TOP refused: left for the next poll. */
  undated: number;
  warnings: string[];
  error?: { code: string; category: string; message: string; retryable: boolean };
}

const systemClock: Clock = { now: () => new Date() };
const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Seeds one mailbox. Never throws for mailbox-level failures: see the summary's status and error. */
export async function seedMailbox(
  policy: MailboxPolicy,
  deps: Pick<PollDependencies, 'source' | 'state' | 'lease' | 'clock' | 'logger'>,
  options: SeedOptions = {},
): Promise<SeedSummary> {
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? silentLogger;
  const started = clock.now();
  const summary: SeedSummary = {
    mailboxId: policy.id, status: 'ok', startedAt: started.toISOString(), durationMs: 0,
    ...(options.since ? { since: options.since.toISOString() } : {}),
    serverMessages: 0, alreadyKnown: 0, seeded: 0, recent: 0, undated: 0, warnings: [],
  };
  try {
    if (!isValidMailboxId(policy.id)) throw new SyncError('SYNC_INVALID_POLICY', 'Mailbox id must be [a-z0-9._-], start alphanumeric, at most 128 characters');
    await runSeed(policy, { ...deps, clock, logger }, options, summary);
  } catch (error) {
    summary.status = statusFor(error) === 'busy' ? 'busy' : 'failed';
    summary.error = errorInfo(error);
  }
  summary.durationMs = Math.max(0, clock.now().getTime() - started.getTime());
  (summary.status === 'ok' ? logger.info : logger.warn).call(logger, 'mailbox seeded', { ...summary });
  return summary;
}

/** True when the next poll would ingest this listed message: what a seed may record. */
export function isSeedable(entry: SeenEntry | undefined): boolean {
  // 'deleted': the server re-used the UID (a new message); 'retry': a new message still failing.
  return entry === undefined || entry.status === 'deleted' || entry.status === 'retry';
}

/** The entry a seed records for a listed message. */
export function seededEntry(policy: MailboxPolicy, state: SeenState, m: ListedMessage, now: Date, block?: Uint8Array): SeenEntry {
  const entry: SeenEntry = {
    firstSeen: now.toISOString(),
    // The key the message would have had: kept for the format; nothing is ever stored under it by a seed.
    key: messageKey(policy.keyPrefix ?? '', policy.id, m.uid, 'full', state.epoch),
    kind: 'seeded',
    status: 'published',
    listSize: m.size,
  };
  if (block !== undefined) entry.headerHash = headerHash(block);
  return entry;
}

type SeedDeps = Pick<PollDependencies, 'source' | 'state' | 'lease'> & { clock: Clock; logger: Logger };

async function runSeed(policy: MailboxPolicy, deps: SeedDeps, options: SeedOptions, summary: SeedSummary): Promise<void> {
  const { clock, logger } = deps;
  const seen = await StateKeeper.load(deps.state, clock, policy.id);
  checkIdentity(policy, seen.state.identity);
  assertLoginAllowed(policy.id, seen.state, clock.now());
  const logins = watchLogins(deps.source, clock);
  const session = await logins.source.open(options.signal);
  // With EXPIRE 0 a server may count TOP as retrieval and remove at QUIT what we only looked at:
  // a seed needs no UPDATE state, so it then leaves without QUIT (RFC 1939 section 6: nothing committed).
  let quit = true;
  let lease: Awaited<ReturnType<typeof deps.lease.acquire>> = null;
  let renewal: LeaseRenewal | undefined;
  try {
    const { listing, rejected } = await session.listMessages();
    // A seed acts on (nearly) every listed message: objects are fine here.
    const messages = listedMessages(listing);
    summary.serverMessages = messages.length + rejected.length;
    for (const r of rejected) summary.warnings.push(`UIDL entry of message ${r.msg} rejected (${r.reason}): ${boundText(r.uidEscaped, 100)}; not seeded`);
    if (!messages.some((m) => isSeedable(seen.state.entries.get(m.uid)))) {
      summary.alreadyKnown = messages.length;
      await session.quit();
      if (logins.apply(seen.state)) await saveLoginRecord(deps, clock, logger, policy, seen.state, options.owner);
      return;
    }
    if (options.since && !session.capabilities.top) {
      throw new SyncError('SYNC_SEED_NEEDS_TOP', 'The server does not offer TOP: seed --since cannot read Date headers. Seed without --since, or poll instead.');
    }
    const ttlMs = options.leaseTtlMs ?? SYNC_LIMITS.leaseTtlMs;
    lease = await deps.lease.acquire(policy.id, options.owner ?? `seed-${randomUUID()}`, ttlMs);
    if (!lease) throw new SyncError('SYNC_LEASE_HELD', `Mailbox ${policy.id} is being polled by another poller (lease held)`);
    renewal = new LeaseRenewal(lease, ttlMs, logger, policy.id, clock);
    // Another poller may have written since the first read: decide against what is durable now.
    const keeper = await StateKeeper.load(deps.state, clock, policy.id);
    checkIdentity(policy, keeper.state.identity);
    if (policy.identity !== undefined && keeper.state.identity !== policy.identity) keeper.state.identity = policy.identity;
    logins.apply(keeper.state);
    const candidates = messages.filter((m) => isSeedable(keeper.state.entries.get(m.uid)));
    summary.alreadyKnown = messages.length - candidates.length;
    const now = clock.now();
    if (options.since) {
      quit = session.capabilities.expire !== 0;
      await seedOlderThan(policy, session, keeper.state, candidates, options, now, summary, renewal);
    } else {
      for (const m of candidates) keeper.state.entries.set(m.uid, seededEntry(policy, keeper.state, m, now));
      summary.seeded = candidates.length;
    }
    if (renewal.lost) throw renewal.lostError();
    keeper.markDirty(summary.seeded);
    await keeper.save();
    if (options.signal?.aborted) throw new SyncError('SYNC_ABORTED', `Seed stopped by the caller after recording ${summary.seeded} message(s)`);
  } catch (error) {
    session.abort(error);
    throw error;
  } finally {
    renewal?.stop();
    await lease?.release().catch((error: unknown) => logger.warn('lease release failed', { mailboxId: policy.id, error: errorInfo(error) }));
  }
  if (quit) await session.quit();
  else session.abort();
}

/** TOP n 0 for each candidate, pipelined in windows; records the ones dated before `since`. */
async function seedOlderThan(
  policy: MailboxPolicy,
  session: MailboxSession,
  state: SeenState,
  candidates: readonly ListedMessage[],
  options: SeedOptions,
  now: Date,
  summary: SeedSummary,
  renewal: LeaseRenewal,
): Promise<void> {
  const since = (options.since as Date).getTime();
  const byMsg = new Map(candidates.map((m) => [m.msg, m]));
  const queue = new FetchQueue(candidates.map((m) => ({ msg: m.msg, fetch: 'headers' as const, size: m.size })));
  const shouldStop = (): boolean => {
    renewal.tick(Date.now());
    return options.signal?.aborted === true || renewal.lost;
  };
  for await (const { job, fetched } of fetchJobs(session, queue, { maxMessages: SEED_TOP_WINDOW, maxBytes: Number.POSITIVE_INFINITY }, shouldStop)) {
    const m = byMsg.get(job.msg) as ListedMessage;
    if (fetched.refused) {
      summary.undated += 1;
      continue;
    }
    const capture = new HeaderCapture();
    for await (const chunk of capture.tee(fetched.body)) void chunk;
    const { block, complete } = capture.result();
    const dated = Date.parse(capture.headers().headers.date ?? '');
    if (Number.isNaN(dated)) summary.undated += 1;
    else if (dated >= since) summary.recent += 1;
    else {
      state.entries.set(m.uid, seededEntry(policy, state, m, now, complete ? block : undefined));
      summary.seeded += 1;
    }
  }
}

/** TOP requests per pipelined window: header blocks are small, so a window can be wide. */
const SEED_TOP_WINDOW = 256;
