/**
 * pollMailbox: one poll of one mailbox, end to end, over the ports only.
 *
 * seen-state -> open -> UIDL+LIST -> plan (pure). Nothing to fetch, republish, delete or prune:
 * QUIT, done, without the lease and without a write (an idle poll). Otherwise: lease -> reload
 * the seen-state and re-plan (another poller may have progressed; if it did, QUIT and list
 * again under the lease) -> circuit breaker -> republish pending events -> fetch/store/publish/
 * record (checkpointed) -> DELE (acknowledged only) -> QUIT -> record deletions -> release
 * lease -> "Mailbox Polled". Everything that writes runs under the lease.
 * The argument for why no crash point loses or duplicates mail: docs/delivery-guarantees.md.
 */
import { randomUUID } from 'node:crypto';
import { StateKeeper } from './checkpoint.js';
import { SyncError, hasCode } from './errors.js';
import { DETAIL_TYPE_CIRCUIT_OPENED, EVENT_SCHEMA_VERSION, type CircuitOpenedDetail, type CircuitStats } from './events.js';
import { compileFilter } from './filter.js';
import { FinishBudget } from './finish-budget.js';
import { Ingestor } from './ingest.js';
import { isValidMailboxId } from './keys.js';
import { SYNC_LIMITS } from './limits.js';
import { assertLoginAllowed, saveLoginRecord, watchLogins } from './login-delay.js';
import { planPoll, policyWarnings, quietNeedsNothing, selectDeletes, type Plan, type PlanContext } from './plan.js';
import { Recorder } from './recorder.js';
import { asListing, type ListingInput } from './listing.js';
import { listKnown, listedCount } from './listing-known.js';
import type { Clock, Lease, Listing, Logger, MailboxSession, OutgoingEvent, RejectedListing } from './ports.js';
import type { SeenEntry, SeenState } from './state.js';
import { boundText, capWarnings, errorInfo, newSummary, statusFor, summaryEvent } from './summary.js';
import type { MailboxPolicy, PollDependencies, PollOptions, PollSummary } from './types.js';

const systemClock: Clock = { now: () => new Date() };
const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Polls one mailbox once. Never throws for mailbox-level failures: the returned summary's
 * status is 'ok' | 'busy' | 'circuit-open' | 'failed', with `error` set unless 'ok'.
 */
export async function pollMailbox(policy: MailboxPolicy, deps: PollDependencies, options: PollOptions = {}): Promise<PollSummary> {
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? silentLogger;
  const started = clock.now();
  const summary = newSummary(policy.id, started);
  try {
    validatePolicy(policy);
    if (policy.parse && !deps.parsed) throw new SyncError('SYNC_INVALID_POLICY', 'parse is enabled but the entry point gave no ParsedObjectStore');
    const budget = new FinishBudget(clock, options.finishBy?.getTime());
    // State and lease writes timed: they size the delete phase against finishBy (finish-budget.ts).
    const timed: PollDependencies = { ...deps, state: budget.timedState(deps.state), lease: budget.timedLease(deps.lease) };
    await runPoll({ policy, deps: timed, options, clock, logger, summary, budget });
  } catch (error) {
    fail(summary, error);
  }
  summary.durationMs = Math.max(0, clock.now().getTime() - started.getTime());
  summary.warnings = capWarnings(summary.warnings);
  await publishBestEffort(deps, logger, summary, [summaryEvent(summary, clock.now())]);
  const log = summary.status === 'ok' ? logger.info : logger.warn;
  log.call(logger, 'mailbox polled', { ...summary });
  return summary;
}

/** What every step of one poll works with, bundled once instead of threaded one by one. */
interface PollRun {
  policy: MailboxPolicy;
  deps: PollDependencies;
  options: PollOptions;
  clock: Clock;
  logger: Logger;
  summary: PollSummary;
  /** What DELE and QUIT need, measured in this poll, against options.finishBy. */
  budget: FinishBudget;
}

/** An open session and a once-only way to end it (QUIT, or drop without QUIT). */
interface SessionHandle {
  session: MailboxSession;
  end(how: 'quit' | 'abort', reason?: unknown): Promise<void>;
}

/** What one session shows: the listing and the plan made from it against a seen-state. */
interface Survey {
  handle: SessionHandle;
  listing: Listing;
  rejected: RejectedListing[];
  plan: Plan;
}

/** The poll proper. Throws; pollMailbox turns it into the summary. */
async function runPoll(run: PollRun): Promise<void> {
  const { policy, deps, options, clock, logger, summary } = run;
  const filter = policy.filter ? compileFilter(policy.filter) : undefined;
  // State before the session: a corrupt document must not cost a login and a maildrop lock.
  const seen = await StateKeeper.load(deps.state, clock, policy.id);
  checkIdentity(policy, seen.state.identity);
  // LOGIN-DELAY (RFC 2449 section 6.5): too early is 'busy' before any connection (login-delay.ts).
  assertLoginAllowed(policy.id, seen.state, clock.now());
  const logins = watchLogins(deps.source, clock);
  const watched = { ...deps, source: logins.source };
  let survey = await surveyMailbox(policy, watched, options, seen.state, clock);
  report(policy, survey, seen.state, logger, summary);
  let lease: Lease | null = null;
  let renewal: LeaseRenewal | undefined;
  try {
    if (isIdle(survey, seen.state)) {
      // Nothing to write: no lease (an S3 lease costs two writes), no save, no event but the summary;
      // unless the server advertises LOGIN-DELAY, whose login time must be kept.
      await survey.handle.end('quit');
      if (logins.apply(seen.state)) await saveLoginRecord(deps, clock, logger, policy, seen.state, options.owner);
      return;
    }
    const owner = options.owner ?? `poll-${randomUUID()}`;
    const ttlMs = options.leaseTtlMs ?? SYNC_LIMITS.leaseTtlMs;
    lease = await deps.lease.acquire(policy.id, owner, ttlMs);
    if (!lease) {
      // Nothing was retrieved or marked in this session: QUIT commits nothing (RFC 1939 section 6).
      await survey.handle.end('quit').catch(() => undefined);
      throw new SyncError('SYNC_LEASE_HELD', `Mailbox ${policy.id} is being polled by another poller (lease held)`);
    }
    renewal = new LeaseRenewal(lease, ttlMs, logger, policy.id, clock);
    // Another poller may have written between our load and our lease: work from what is durable now.
    const keeper = await StateKeeper.load(deps.state, clock, policy.id);
    checkIdentity(policy, keeper.state.identity);
    if (logins.apply(keeper.state)) keeper.markDirty();
    if (policy.identity !== undefined && keeper.state.identity !== policy.identity) {
      keeper.state.identity = policy.identity;
      keeper.markDirty();
    }
    if (keeper.loadedVersion !== seen.loadedVersion) {
      // Our session's listing predates that progress (UIDs it pruned or deleted would look new,
      // UIDs it added would look gone): QUIT (nothing done yet) and list again under the lease.
      await survey.handle.end('quit');
      survey = await surveyMailbox(policy, watched, options, keeper.state, clock);
      if (logins.apply(keeper.state)) keeper.markDirty();
      report(policy, survey, keeper.state, logger, summary);
    } else {
      survey.plan = planPoll(policy, survey.listing, keeper.state, planContext(survey.handle.session, clock));
    }
    await ingestAndDelete(run, keeper, survey, filter, renewal);
  } catch (error) {
    await survey.handle.end('abort', error);
    throw error;
  } finally {
    renewal?.stop();
    if (lease) {
      await lease.release().catch((error: unknown) => logger.warn('lease release failed', { mailboxId: policy.id, error: errorInfo(error) }));
    }
  }
}

/** Opens a session, lists, and plans against `state`. Drops the session if listing fails. */
async function surveyMailbox(policy: MailboxPolicy, deps: PollDependencies, options: PollOptions, state: SeenState, clock: Clock): Promise<Survey> {
  const handle = sessionHandle(await deps.source.open(options.signal));
  try {
    // Known UIDs the poll needs nothing of are matched as UIDL streams and left out (issue 15).
    const { listing, rejected } = await listKnown(handle.session, state.entries, quietNeedsNothing(policy));
    return { handle, listing, rejected, plan: planPoll(policy, listing, state, planContext(handle.session, clock)) };
  } catch (error) {
    await handle.end('abort', error);
    throw error;
  }
}

function sessionHandle(session: MailboxSession): SessionHandle {
  let open = true;
  return {
    session,
    async end(how, reason) {
      if (!open) return;
      open = false;
      if (how === 'abort') return session.abort(reason);
      try {
        await session.quit();
      } catch (error) {
        session.abort(error);
        throw error;
      }
    },
  };
}

/** What the summary says about the listing (replaces what an earlier survey of this poll said). */
function report(policy: MailboxPolicy, survey: Survey, state: SeenState, logger: Logger, summary: PollSummary): void {
  summary.warnings = [];
  for (const warning of policyWarnings(policy, survey.handle.session.capabilities)) {
    summary.warnings.push(warning);
    logger.warn(warning, { mailboxId: policy.id });
  }
  summary.serverMessages = listedCount(survey.listing) + survey.rejected.length;
  for (const r of survey.rejected) {
    summary.warnings.push(`UIDL entry of message ${r.msg} rejected (${r.reason}): ${boundText(r.uidEscaped, 100)}; left on the server untouched`);
  }
  summary.newMessages = survey.plan.newMessages;
  summary.backlog = survey.plan.newMessages;
  summary.setAsideTotal = countSetAside(state);
}

/**
 * True when this poll would write nothing: nothing to fetch or verify for deletion, no event
 * owed, nothing to prune, and the breaker closed. Pruning counts as work: an entry left for a
 * UID that is gone would count as "known gone" for the breaker. An open breaker counts as work
 * too: it is only believed on a state re-read under the lease (without the lease, another
 * poller's deleteSent records may not be in the state we read).
 */
function isIdle(survey: Survey, state: SeenState): boolean {
  if (survey.plan.work.length > 0 || survey.plan.circuit.open || state.needsRewrite === true) return false;
  if (state.entries.match(survey.listing).gone.length > 0) return false;
  for (const [, entry] of state.entries.loudEntries()) if (entry.status === 'unpublished') return false;
  return true;
}

/**
 * Drops UIDs no longer on the server, except entries whose event is still unacknowledged:
 * their object is stored and must still be announced even if the message is gone.
 */
export function pruneState(state: SeenState, listing: ListingInput): number {
  let dropped = 0;
  for (const gone of state.entries.match(listing).gone) {
    if (gone.status === 'unpublished') continue;
    state.entries.deleteGone(gone);
    dropped += 1;
  }
  return dropped;
}

/** Under the lease: breaker, republish, ingest, record, DELE, QUIT. */
async function ingestAndDelete(
  run: PollRun,
  keeper: StateKeeper,
  survey: Survey,
  filter: ReturnType<typeof compileFilter> | undefined,
  renewal: LeaseRenewal,
): Promise<void> {
  const { policy, deps, options, clock, logger, summary } = run;
  const { handle, listing, plan } = survey;
  const { session } = handle;
  summary.newMessages = plan.newMessages;
  summary.backlog = plan.newMessages;
  await tripOrAcceptEpoch(run, keeper, survey);
  if (pruneState(keeper.state, listing) > 0) keeper.markDirty();

  const deadline = options.deadline?.getTime();
  // Each message finished may earn a DELE, and so may each known message due for deletion that
  // this poll confirms (verify, oldest first, so before new ones): with what is in flight (at
  // most a fetch window) the delete phase must still fit before finishBy, or the reader stops
  // here (finish-budget.ts).
  const deletes = policy.delete.kind !== 'never';
  const verifying = plan.work.filter((m) => m.action === 'verify').length;
  const shouldStop = (): boolean => {
    const now = clock.now().getTime();
    renewal.tick(now);
    return (
      options.signal?.aborted === true || renewal.lost || (deadline !== undefined && now >= deadline) ||
      (deletes && run.budget.tooLateFor(ingestor.processed + verifying + SYNC_LIMITS.fetchWindow))
    );
  };
  const recorder = new Recorder({ store: deps.store, publisher: deps.publisher, keeper, clock, logger, summary, mailboxId: policy.id });
  const ingestor = new Ingestor({
    policy, session, deps, keeper, recorder, clock, logger, summary, shouldStop,
    ...(filter ? { filter } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  let failure: unknown;
  let quitting: Promise<void> | undefined;
  try {
    await recorder.republishPending();
    await ingestor.ingest(plan.work);
    // Nothing to delete, ever, and no EXPIRE 0: QUIT can commit nothing (RFC 1939 section 6;
    // RFC 2449 section 6.7), so it goes now, its round trip overlapping the last group's
    // commit, events and save instead of following them.
    if (!deletes && session.capabilities.expire !== 0) {
      quitting = handle.end('quit');
      // Awaited below, after the flush: until then a failed QUIT must not count as unhandled.
      quitting.catch(() => undefined);
    }
  } catch (error) {
    failure = error;
  }
  const planned = plan.work.filter((m) => m.action !== 'verify').length;
  summary.backlog = plan.backlog + Math.max(0, planned - ingestor.processed);
  // Record what succeeded even after a failure: stored-and-acknowledged must not be re-fetched.
  try {
    await recorder.flush();
    await keeper.save();
  } catch (error) {
    failure ??= error;
  }
  try {
    await quitting;
  } catch (error) {
    failure ??= error;
  }
  summary.setAsideTotal = countSetAside(keeper.state);
  if (failure === undefined && options.signal?.aborted) {
    failure = new SyncError('SYNC_ABORTED', 'Poll aborted by the caller after recording finished messages');
  }
  if (failure === undefined && renewal.lost) failure = renewal.lostError();
  if (recorder.unacknowledged > 0) {
    summary.warnings.push(`${recorder.unacknowledged} event(s) not acknowledged: recorded, republished next poll with the same id`);
  }
  if (failure !== undefined) {
    // No QUIT: RFC 1939 section 6, without QUIT the server never enters UPDATE, so nothing
    // (not even an EXPIRE 0 removal of what we retrieved) is committed.
    await handle.end('abort', failure);
    throw failure;
  }
  const expireZero = session.capabilities.expire === 0;
  if (expireZero && recorder.unsafeRetrieved > 0) {
    // EXPIRE 0 (RFC 2449 section 6.7): QUIT would remove retrieved messages not yet stored and announced.
    summary.warnings.push('EXPIRE 0 and retrieved messages not yet stored and announced: session dropped without QUIT so the server keeps them');
    await handle.end('abort');
    return;
  }
  await finish(run, handle, keeper, listing, recorder, renewal);
}

/** The circuit breaker: stop before anything is fetched, unless a human accepted the new epoch. */
async function tripOrAcceptEpoch(run: PollRun, keeper: StateKeeper, survey: Survey): Promise<void> {
  const { policy, deps, clock, logger, summary } = run;
  const { circuit } = survey.plan;
  if (!circuit.open) return;
  if (!policy.acceptNewEpoch) {
    await survey.handle.end('quit').catch(() => undefined);
    await publishBestEffort(deps, logger, summary, [circuitEvent(policy.id, keeper.state.epoch, circuit.stats, clock.now())]);
    throw circuitError(policy.id, circuit.stats);
  }
  keeper.state.epoch += 1;
  keeper.state.epochSince = clock.now().toISOString();
  keeper.markDirty();
  summary.warnings.push(`UID epoch change accepted (acceptNewEpoch): now epoch ${keeper.state.epoch}; remove acceptNewEpoch from the configuration`);
}

/** DELE what is confirmed, acknowledged and due, QUIT, and only then record what the server removed. */
async function finish(
  run: PollRun,
  handle: SessionHandle,
  keeper: StateKeeper,
  listing: Listing,
  recorder: Recorder,
  renewal: LeaseRenewal,
): Promise<void> {
  const { policy, clock, logger, summary, budget } = run;
  const due = selectDeletes(policy, listing, keeper.state, clock.now(), recorder.confirmed);
  // Only what DELE and QUIT can finish before the caller's hard stop (oldest first); the rest
  // stays stored and announced on the server, and the next poll confirms and deletes it.
  let msgs = due.slice(0, budget.deletionsThatFit(due.length, 'save'));
  if (msgs.length > 0) {
    // Still ours? A poller that lost its lease must not delete what another one now manages.
    if (!(await renewal.renewNow())) {
      await handle.end('abort');
      throw renewal.lostError();
    }
    // Record the intent first: a kill between the committing QUIT and the save below must not
    // make the next poll read the vanished UIDs as a new UID epoch (circuit breaker).
    markEntries(keeper, listing, msgs, { deleteSent: true });
    await keeper.save();
    // The renewal or the save may have taken longer than measured before: look again. A
    // deleteSent entry still listed is harmless (confirmed and deleted by the next poll).
    msgs = msgs.slice(0, budget.deletionsThatFit(msgs.length, 'dele'));
    if (msgs.length > 0) await handle.session.markDeleted(msgs);
  }
  if (msgs.length < due.length) deferDeletions(run, due.length - msgs.length);
  // RFC 1939 section 6: DELE takes effect only when QUIT succeeds (UPDATE state).
  try {
    await handle.end('quit');
  } catch (error) {
    if (!cutByFinishBy(run)) throw error;
    // The caller's hard stop came while QUIT ran: the server may or may not have entered
    // UPDATE. Either outcome is safe (every DELE sent is stored, announced and recorded
    // deleteSent): the next poll prunes what is gone and confirms and deletes what is not.
    summary.deletionsDeferred += msgs.length;
    if (msgs.length > 0) summary.warnings.push(`QUIT did not answer before the invocation's hard stop: ${msgs.length} deletion(s) not confirmed; the next poll settles them`);
    logger.warn('QUIT cut short by the hard stop', { mailboxId: policy.id, deletions: msgs.length, ...budget.measured() });
    return;
  }
  // RFC 2449 section 6.7: with EXPIRE 0 the server also removed everything we retrieved.
  const deleted = new Set(msgs);
  const expired: number[] = [];
  if (handle.session.capabilities.expire === 0 && recorder.retrieved.size > 0) {
    for (let i = 0; i < listing.length; i++) {
      if (!deleted.has(listing.msg(i)) && recorder.retrieved.has(listing.uid(i))) expired.push(listing.msg(i));
    }
  }
  if (msgs.length === 0 && expired.length === 0) return;
  summary.deleted = msgs.length;
  markEntries(keeper, listing, [...msgs, ...expired], { status: 'deleted' });
  try {
    await keeper.save();
  } catch (error) {
    // Harmless: the UIDs are gone from the server, the next poll prunes them.
    summary.warnings.push('Deletions committed but not recorded; the next poll prunes them');
    logger.warn('state save after QUIT failed', { mailboxId: policy.id, error: errorInfo(error) });
  }
}

/** Reports deletions left for the next poll: the time left before finishBy did not allow them. */
function deferDeletions(run: PollRun, count: number): void {
  const { summary, logger, policy, budget, clock } = run;
  summary.deletionsDeferred += count;
  summary.warnings.push(`${count} message(s) stored and announced but left on the server: too little time left to delete them; the next poll deletes them`);
  logger.info('deletions deferred to the next poll', {
    mailboxId: policy.id, deferred: count, msLeft: (budget.finishBy ?? 0) - clock.now().getTime(), ...budget.measured(),
  });
}

/**
 * True when the session failed because the caller aborted it at finishBy (its hard stop), not
 * because of the server or the link.
 */
function cutByFinishBy(run: PollRun): boolean {
  const { options, budget, clock } = run;
  return options.signal?.aborted === true && budget.finishBy !== undefined && clock.now().getTime() >= budget.finishBy;
}

/** Applies `patch` to the state entries of the listed messages numbered in `msgs`. */
function markEntries(keeper: StateKeeper, input: ListingInput, msgs: readonly number[], patch: Partial<SeenEntry>): void {
  const listing = asListing(input);
  const selected = new Set(msgs);
  for (let i = 0; i < listing.length; i++) {
    // The message number first: a UID string and a hash only for the selected few.
    if (!selected.has(listing.msg(i))) continue;
    const uid = listing.uid(i);
    const entry = keeper.state.entries.get(uid);
    if (entry) keeper.state.entries.set(uid, { ...entry, ...patch });
  }
  keeper.markDirty();
}

function countSetAside(state: SeenState): number {
  let n = 0;
  // Set-aside entries carry attempts and an error: always full records.
  for (const [, entry] of state.entries.loudEntries()) if (entry.kind === 'failed') n += 1;
  return n;
}

function planContext(session: MailboxSession, clock: Clock): PlanContext {
  const expire = session.capabilities.expire;
  return expire === undefined ? { now: clock.now() } : { now: clock.now(), expire };
}

/**
 * Refuses a state recorded for another server or user: pointing a mailbox id at another
 * mailbox must not make its mail look new (or its UIDs look known).
 */
export function checkIdentity(policy: MailboxPolicy, stored: string | undefined): void {
  if (policy.identity === undefined || stored === undefined || stored === policy.identity || policy.acceptNewIdentity) return;
  throw new SyncError(
    'SYNC_IDENTITY_MISMATCH',
    `Mailbox ${policy.id}: its seen-state was recorded for another server or user (fingerprint ${stored.slice(0, 12)}, now ${policy.identity.slice(0, 12)}). ` +
      'Nothing was fetched. If it is the same mailbox under another name (e.g. a renamed host), accept it once with acceptNewIdentity ' +
      '(CLI: --accept-new-identity); otherwise give this mailbox another id.',
  );
}

/**
 * Keeps the lease alive while the poll runs: renewed every third of its TTL, so a poller killed
 * hard blocks the mailbox for one TTL at most and a live one is never overtaken. A renewal that
 * reports the lease lost stops the poll (no new message, no DELE, no further save).
 */
export class LeaseRenewal {
  lost = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private inFlight: Promise<boolean> | undefined;
  private lastRenewAt: number;

  constructor(
    private readonly lease: Lease,
    private readonly ttlMs: number,
    private readonly logger: Logger,
    private readonly mailboxId: string,
    private readonly clock: Clock,
  ) {
    this.lastRenewAt = clock.now().getTime();
    // Real time drives the renewal while the poll waits on I/O; tick() covers the injected clock.
    this.timer = setInterval(() => void this.renewNow(), Math.max(1_000, Math.floor(ttlMs / 3)));
    this.timer.unref?.();
  }

  /** Renews in the background when a third of the TTL passed on the poll's clock since the last renewal. */
  tick(now: number): void {
    if (!this.lost && this.inFlight === undefined && now - this.lastRenewAt >= this.ttlMs / 3) void this.renewNow();
  }

  /** Renews now; resolves false once the lease is lost. */
  async renewNow(): Promise<boolean> {
    if (this.lost) return false;
    this.lastRenewAt = this.clock.now().getTime();
    this.inFlight ??= this.lease.renew(this.ttlMs).then(
      (held) => held,
      (error: unknown) => {
        // A failed renewal is not a lost lease: the TTL still runs; the next renewal retries.
        this.logger.warn('lease renewal failed', { mailboxId: this.mailboxId, error: errorInfo(error) });
        return this.lease.expiresAt.getTime() > Date.now();
      },
    ).finally(() => {
      this.inFlight = undefined;
    });
    const held = await this.inFlight;
    if (!held) this.lost = true;
    return held;
  }

  lostError(): SyncError {
    return new SyncError('SYNC_LEASE_LOST', `Mailbox ${this.mailboxId}: the lease expired and was taken over; this poll stopped before deleting anything`);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

function fail(summary: PollSummary, error: unknown): void {
  summary.status = hasCode(error, 'SYNC_CIRCUIT_OPEN') ? 'circuit-open' : statusFor(error);
  summary.error = errorInfo(error);
}

function validatePolicy(policy: MailboxPolicy): void {
  if (!isValidMailboxId(policy.id)) {
    throw new SyncError('SYNC_INVALID_POLICY', 'Mailbox id must be [a-z0-9._-], start alphanumeric, at most 128 characters');
  }
  const { maxMessages, maxBytes, maxMessageSize } = policy.limits;
  for (const [name, value] of Object.entries({ maxMessages, maxBytes, maxMessageSize })) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
      throw new SyncError('SYNC_INVALID_POLICY', `limits.${name} must be a non-negative integer`);
    }
  }
  if (policy.maxAttempts !== undefined && !(Number.isInteger(policy.maxAttempts) && policy.maxAttempts >= 1 && policy.maxAttempts <= 100)) {
    throw new SyncError('SYNC_INVALID_POLICY', 'maxAttempts must be an integer from 1 to 100');
  }
  if (policy.delete.kind === 'after-days' && !(Number.isFinite(policy.delete.days) && policy.delete.days >= 0)) {
    throw new SyncError('SYNC_INVALID_POLICY', 'delete.days must be a non-negative number');
  }
}

function circuitError(mailboxId: string, stats: CircuitStats): SyncError {
  return new SyncError(
    'SYNC_CIRCUIT_OPEN',
    `Mailbox ${mailboxId}: ${stats.knownGone} of ${stats.known} known UIDs are gone and ${stats.reappeared} of them reappear as new UIDs of the same size ` +
      `(${stats.unknownListed} of ${stats.listed} listed UIDs are new); ` +
      'the server changed its UIDs. Nothing was ingested. Set acceptNewEpoch for one poll to accept (docs/delivery-guarantees.md).',
  );
}

function circuitEvent(mailboxId: string, epoch: number, stats: CircuitStats, time: Date): OutgoingEvent {
  const detail: CircuitOpenedDetail = {
    schemaVersion: EVENT_SCHEMA_VERSION,
    mailboxId,
    epoch,
    ...stats,
    action: 'Check the server; to ingest the listed messages as new, set acceptNewEpoch on this mailbox for one poll.',
  };
  return { id: randomUUID(), detailType: DETAIL_TYPE_CIRCUIT_OPENED, detail: detail as unknown as Record<string, unknown>, time };
}

async function publishBestEffort(deps: PollDependencies, logger: Logger, summary: PollSummary, events: OutgoingEvent[]): Promise<void> {
  try {
    const results = await deps.publisher.publish(events);
    if (results.some((r) => !r.ok)) logger.warn('summary event not acknowledged', { mailboxId: summary.mailboxId });
  } catch (error) {
    logger.warn('summary event not published', { mailboxId: summary.mailboxId, error: errorInfo(error) });
  }
}
