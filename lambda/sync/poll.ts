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
import { Ingestor } from './ingest.js';
import { isValidMailboxId } from './keys.js';
import { SYNC_LIMITS } from './limits.js';
import { planPoll, policyWarnings, selectDeletes, type Plan } from './plan.js';
import type { Clock, Lease, ListedMessage, Logger, MailboxSession, OutgoingEvent, RejectedListing } from './ports.js';
import { pruneState, type SeenEntry, type SeenState } from './state.js';
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
    await runPoll({ policy, deps, options, clock, logger, summary });
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
}

/** An open session and a once-only way to end it (QUIT, or drop without QUIT). */
interface SessionHandle {
  session: MailboxSession;
  end(how: 'quit' | 'abort', reason?: unknown): Promise<void>;
}

/** What one session shows: the listing and the plan made from it against a seen-state. */
interface Survey {
  handle: SessionHandle;
  messages: ListedMessage[];
  rejected: RejectedListing[];
  plan: Plan;
}

/** The poll proper. Throws; pollMailbox turns it into the summary. */
async function runPoll(run: PollRun): Promise<void> {
  const { policy, deps, options, clock, logger, summary } = run;
  const filter = policy.filter ? compileFilter(policy.filter) : undefined;
  // State before the session: a corrupt document must not cost a login and a maildrop lock.
  const seen = await StateKeeper.load(deps.state, clock, policy.id);
  let survey = await surveyMailbox(policy, deps, options, seen.state);
  report(policy, survey, logger, summary);
  let lease: Lease | null = null;
  try {
    if (isIdle(policy, survey, seen.state, clock.now())) {
      // Nothing to write: no lease (an S3 lease costs two writes), no save, no event but the summary.
      await survey.handle.end('quit');
      return;
    }
    const owner = options.owner ?? `poll-${randomUUID()}`;
    lease = await deps.lease.acquire(policy.id, owner, leaseTtl(options, clock.now()));
    if (!lease) {
      // Nothing was retrieved or marked in this session: QUIT commits nothing (RFC 1939 section 6).
      await survey.handle.end('quit').catch(() => undefined);
      throw new SyncError('SYNC_LEASE_HELD', `Mailbox ${policy.id} is being polled by another poller (lease held)`);
    }
    // Another poller may have written between our load and our lease: work from what is durable now.
    const keeper = await StateKeeper.load(deps.state, clock, policy.id);
    if (keeper.loadedVersion !== seen.loadedVersion) {
      // Our session's listing predates that progress (UIDs it pruned or deleted would look new,
      // UIDs it added would look gone): QUIT (nothing done yet) and list again under the lease.
      await survey.handle.end('quit');
      survey = await surveyMailbox(policy, deps, options, keeper.state);
      report(policy, survey, logger, summary);
    } else {
      survey.plan = planPoll(policy, survey.messages, keeper.state);
    }
    await ingestAndDelete(run, keeper, survey, filter);
  } catch (error) {
    await survey.handle.end('abort', error);
    throw error;
  } finally {
    if (lease) {
      await lease.release().catch((error: unknown) => logger.warn('lease release failed', { mailboxId: policy.id, error: errorInfo(error) }));
    }
  }
}

/** Opens a session, lists, and plans against `state`. Drops the session if listing fails. */
async function surveyMailbox(policy: MailboxPolicy, deps: PollDependencies, options: PollOptions, state: SeenState): Promise<Survey> {
  const handle = sessionHandle(await deps.source.open(options.signal));
  try {
    const { messages, rejected } = await handle.session.listMessages();
    return { handle, messages, rejected, plan: planPoll(policy, messages, state) };
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
function report(policy: MailboxPolicy, survey: Survey, logger: Logger, summary: PollSummary): void {
  summary.warnings = [];
  for (const warning of policyWarnings(policy, survey.handle.session.capabilities)) {
    summary.warnings.push(warning);
    logger.warn(warning, { mailboxId: policy.id });
  }
  summary.serverMessages = survey.messages.length + survey.rejected.length;
  for (const r of survey.rejected) {
    summary.warnings.push(`UIDL entry of message ${r.msg} rejected (${r.reason}): ${boundText(r.uidEscaped, 100)}; left on the server untouched`);
  }
  summary.newMessages = survey.plan.newMessages;
  summary.backlog = survey.plan.newMessages;
}

/**
 * True when this poll would write nothing: nothing to fetch, no event owed, nothing to delete,
 * nothing to prune, and the breaker closed. Pruning counts as work: an entry left for a UID
 * that is gone would count as "known gone" for the breaker at the next poll with new mail, so
 * a client deleting most of a kept mailbox, then a burst of new mail, would trip it falsely.
 * An open breaker counts as work too: it is only believed on a state re-read under the lease
 * (without the lease, another poller's deleteSent records may not be in the state we read).
 */
function isIdle(policy: MailboxPolicy, survey: Survey, state: SeenState, now: Date): boolean {
  if (survey.plan.work.length > 0 || survey.plan.circuit.open) return false;
  const listed = new Set(survey.messages.map((m) => m.uid));
  for (const [uid, entry] of state.entries) {
    if (entry.status === 'unpublished' || !listed.has(uid)) return false;
  }
  return selectDeletes(policy, survey.messages, state, now).length === 0;
}

/** Under the lease: breaker, republish, ingest, record, DELE, QUIT. */
async function ingestAndDelete(
  run: PollRun,
  keeper: StateKeeper,
  survey: Survey,
  filter: ReturnType<typeof compileFilter> | undefined,
): Promise<void> {
  const { policy, deps, options, clock, logger, summary } = run;
  const { handle, messages, plan } = survey;
  const { session } = handle;
  const endSession = handle.end;
  summary.newMessages = plan.newMessages;
  summary.backlog = plan.newMessages;
  if (plan.circuit.open) {
    if (!policy.acceptNewEpoch) {
      await endSession('quit').catch(() => undefined);
      await publishBestEffort(deps, logger, summary, [circuitEvent(policy.id, keeper.state.epoch, plan.circuit.stats, clock.now())]);
      throw circuitError(policy.id, plan.circuit.stats);
    }
    keeper.state.epoch += 1;
    keeper.state.epochSince = clock.now().toISOString();
    keeper.markDirty();
    summary.warnings.push(`UID epoch change accepted (acceptNewEpoch): now epoch ${keeper.state.epoch}; remove acceptNewEpoch from the configuration`);
  }
  if (pruneState(keeper.state, new Set(messages.map((m) => m.uid))) > 0) keeper.markDirty();

  const deadline = options.deadline?.getTime();
  const shouldStop = (): boolean => options.signal?.aborted === true || (deadline !== undefined && clock.now().getTime() >= deadline);
  const ingestor = new Ingestor({
    policy, session, store: deps.store, publisher: deps.publisher, keeper, clock, logger, summary, shouldStop,
    ...(filter ? { filter } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  let failure: unknown;
  try {
    await ingestor.republishPending();
    await ingestor.ingest(plan.work);
  } catch (error) {
    failure = error;
  }
  summary.backlog = plan.backlog + (plan.work.length - ingestor.processed);
  // Record what succeeded even after a failure: stored-and-acknowledged must not be re-fetched.
  try {
    await ingestor.flush();
    await keeper.save();
  } catch (error) {
    failure ??= error;
  }
  if (failure === undefined && options.signal?.aborted) {
    failure = new SyncError('SYNC_ABORTED', 'Poll aborted by the caller after recording finished messages');
  }
  if (ingestor.unacknowledged > 0) {
    summary.warnings.push(`${ingestor.unacknowledged} event(s) not acknowledged: recorded, republished next poll with the same id`);
  }
  if (failure !== undefined) {
    // No QUIT: RFC 1939 section 6, without QUIT the server never enters UPDATE, so nothing
    // (not even an EXPIRE 0 removal of what we retrieved) is committed.
    await endSession('abort', failure);
    throw failure;
  }
  if (session.capabilities.expire === 0 && ingestor.unsafeRetrieved > 0) {
    // EXPIRE 0 (RFC 2449 section 6.7): QUIT would remove retrieved messages whose event is not acknowledged.
    summary.warnings.push('EXPIRE 0 and unacknowledged events: session dropped without QUIT so the server keeps the messages');
    await endSession('abort');
    return;
  }
  await deleteAndQuit(run, handle, keeper, messages);
}

/** DELE what is acknowledged and due, QUIT, and only then record the deletions. */
async function deleteAndQuit(run: PollRun, handle: SessionHandle, keeper: StateKeeper, listing: readonly ListedMessage[]): Promise<void> {
  const { policy, clock, logger, summary } = run;
  const msgs = selectDeletes(policy, listing, keeper.state, clock.now());
  if (msgs.length > 0) {
    // Record the intent first: a kill between the committing QUIT and the save below must not
    // make the next poll read the vanished UIDs as a new UID epoch (circuit breaker).
    markEntries(keeper, listing, msgs, { deleteSent: true });
    await keeper.save();
    await handle.session.markDeleted(msgs);
  }
  // RFC 1939 section 6: DELE takes effect only when QUIT succeeds (UPDATE state).
  await handle.end('quit');
  if (msgs.length === 0) return;
  summary.deleted = msgs.length;
  markEntries(keeper, listing, msgs, { status: 'deleted' });
  try {
    await keeper.save();
  } catch (error) {
    // Harmless: the UIDs are gone from the server, the next poll prunes them.
    summary.warnings.push('Deletions committed but not recorded; the next poll prunes them');
    logger.warn('state save after QUIT failed', { mailboxId: policy.id, error: errorInfo(error) });
  }
}

/** Applies `patch` to the state entries of the listed messages numbered in `msgs`. */
function markEntries(keeper: StateKeeper, listing: readonly ListedMessage[], msgs: readonly number[], patch: Partial<SeenEntry>): void {
  const selected = new Set(msgs);
  for (const m of listing) {
    const entry = keeper.state.entries.get(m.uid);
    if (entry && selected.has(m.msg)) keeper.state.entries.set(m.uid, { ...entry, ...patch });
  }
  keeper.markDirty();
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
  if (policy.delete.kind === 'after-days' && !(Number.isFinite(policy.delete.days) && policy.delete.days >= 0)) {
    throw new SyncError('SYNC_INVALID_POLICY', 'delete.days must be a non-negative number');
  }
}

function leaseTtl(options: PollOptions, now: Date): number {
  if (options.leaseTtlMs !== undefined) return options.leaseTtlMs;
  if (options.deadline) return Math.max(0, options.deadline.getTime() - now.getTime()) + SYNC_LIMITS.leaseGraceMs;
  return SYNC_LIMITS.defaultLeaseTtlMs;
}

function circuitError(mailboxId: string, stats: CircuitStats): SyncError {
  return new SyncError(
    'SYNC_CIRCUIT_OPEN',
    `Mailbox ${mailboxId}: ${stats.knownGone} of ${stats.known} known UIDs are gone and ${stats.unknownListed} of ${stats.listed} listed UIDs are new; ` +
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
