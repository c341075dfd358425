/**
 * RFC 2449 section 6.5 LOGIN-DELAY: a server that advertises `LOGIN-DELAY n` refuses
 * (`-ERR [LOGIN-DELAY]`) a login sooner than n seconds after the last one. Gmail says 300.
 * A refused login still costs a connection, a TLS handshake and, on some servers, resets the
 * timer; so the seen-state remembers the advertised delay and when we last logged in, and a
 * poll (or seed) that comes too early is skipped as 'busy' before it connects.
 *
 * The two fields are document-level (SeenState.meta: loginDelaySeconds, lastLoginAt). They are
 * written under the lease with the poll's own saves; an idle poll writes them only when the
 * server advertises LOGIN-DELAY (recordLogin says whether anything changed).
 */
import { randomUUID } from 'node:crypto';
import { StateKeeper } from './checkpoint.js';
import { SyncError } from './errors.js';
import type { Clock, LeaseStore, Logger, MailboxCapabilities, MailboxSession, MailSource, StateStore } from './ports.js';
import type { SeenState } from './state.js';

/** The login record kept in the state's document-level `meta`. */
interface LoginRecord {
  loginDelaySeconds?: number;
  lastLoginAt?: string;
}

const DELAY = 'loginDelaySeconds';
const LAST = 'lastLoginAt';

/**
 * Reads the login record of a state. A malformed value is corruption (SYNC_STATE_CORRUPT), not
 * "no delay": reading it as absent would log in too early and get the account locked out.
 */
export function loginRecord(state: Pick<SeenState, 'meta'>): LoginRecord {
  const delay = state.meta[DELAY];
  const last = state.meta[LAST];
  if (delay !== undefined && !(typeof delay === 'number' && Number.isInteger(delay) && delay >= 0)) {
    throw new SyncError('SYNC_STATE_CORRUPT', 'Seen-state meta.loginDelaySeconds: not a non-negative integer');
  }
  if (last !== undefined && !(typeof last === 'string' && !Number.isNaN(Date.parse(last)))) {
    throw new SyncError('SYNC_STATE_CORRUPT', 'Seen-state meta.lastLoginAt: not a date');
  }
  return { ...(delay === undefined ? {} : { loginDelaySeconds: delay }), ...(last === undefined ? {} : { lastLoginAt: last }) };
}

function writeRecord(state: Pick<SeenState, 'meta'>, record: LoginRecord): void {
  if (record.loginDelaySeconds === undefined) delete state.meta[DELAY];
  else state.meta[DELAY] = record.loginDelaySeconds;
  if (record.lastLoginAt === undefined) delete state.meta[LAST];
  else state.meta[LAST] = record.lastLoginAt;
}

/** When the next login is allowed, or undefined when a login now is fine. */
export function loginAllowedAt(state: Pick<SeenState, 'meta'>, now: Date): Date | undefined {
  const { loginDelaySeconds: delay, lastLoginAt } = loginRecord(state);
  if (delay === undefined || delay <= 0 || lastLoginAt === undefined) return undefined;
  const last = Date.parse(lastLoginAt);
  // A last login in the future (clock skew between pollers) counts from now: never wait longer than the delay.
  const at = Math.min(last, now.getTime()) + delay * 1000;
  return at > now.getTime() ? new Date(at) : undefined;
}

/**
 * Throws SYNC_LOGIN_DELAY ('throttled': the poll's status is 'busy') when logging in now would
 * break the server's LOGIN-DELAY as recorded in `state`.
 */
export function assertLoginAllowed(mailboxId: string, state: SeenState, now: Date): void {
  const at = loginAllowedAt(state, now);
  if (at === undefined) return;
  const { loginDelaySeconds, lastLoginAt } = loginRecord(state);
  const wait = Math.ceil((at.getTime() - now.getTime()) / 1000);
  throw new SyncError(
    'SYNC_LOGIN_DELAY',
    `Mailbox ${mailboxId}: the server advertises LOGIN-DELAY ${loginDelaySeconds} s and the last login was at ${lastLoginAt}; ` +
      `not connecting before ${at.toISOString()} (in ${wait} s). Schedule polls at most every ${loginDelaySeconds} s.`,
  );
}

/**
 * Notes a login at `loginAt` with the capabilities the session reported (post-login CAPA).
 * Returns true when the state changed and must be saved. A server that stops advertising
 * LOGIN-DELAY clears both fields (one write), so later polls are not held back by an old value.
 */
export function recordLogin(state: SeenState, capabilities: MailboxCapabilities, loginAt: Date): boolean {
  const delay = capabilities.loginDelaySeconds;
  if (delay === undefined || delay <= 0) {
    const had = loginRecord(state);
    if (had.loginDelaySeconds === undefined && had.lastLoginAt === undefined) return false;
    writeRecord(state, {});
    return true;
  }
  writeRecord(state, { loginDelaySeconds: delay, lastLoginAt: loginAt.toISOString() });
  return true;
}

/** Copies the login record from `from` (a state read earlier in this poll) onto `to` (a fresher read). */
export function carryLogin(from: Pick<SeenState, 'meta'>, to: SeenState): boolean {
  const a = loginRecord(from);
  const b = loginRecord(to);
  if (a.loginDelaySeconds === b.loginDelaySeconds && a.lastLoginAt === b.lastLoginAt) return false;
  writeRecord(to, a);
  return true;
}

/** A mail source that remembers its last successful login, and how to record it in a state. */
export interface LoginWatch {
  source: MailSource;
  /** Records the last login (if any) in `state`; true when the state changed. */
  apply(state: SeenState): boolean;
}

/** Wraps `source` so the time and capabilities of each successful open() are kept. */
export function watchLogins(source: MailSource, clock: Clock): LoginWatch {
  let last: { at: Date; capabilities: MailboxCapabilities } | undefined;
  return {
    source: {
      async open(signal?: AbortSignal): Promise<MailboxSession> {
        const session = await source.open(signal);
        // After login: the server's timer runs from its login, never before ours.
        last = { at: clock.now(), capabilities: session.capabilities };
        return session;
      },
    },
    apply: (state) => (last === undefined ? false : recordLogin(state, last.capabilities, last.at)),
  };
}

/**
 * Writes only the login record, for a poll that otherwise writes nothing (idle). Under the
 * lease, on a fresh read: a write outside it could make a running poller's save lose its
 * compare-and-swap. Best-effort: when the lease is held, that poller logged in later and
 * records its own login; a failure is logged, the next early poll meets [LOGIN-DELAY] instead.
 */
export async function saveLoginRecord(
  deps: { state: StateStore; lease: LeaseStore },
  clock: Clock,
  logger: Logger,
  policy: { id: string },
  from: SeenState,
  owner?: string,
): Promise<void> {
  try {
    const lease = await deps.lease.acquire(policy.id, owner ?? `login-${randomUUID()}`, LOGIN_RECORD_LEASE_MS);
    if (!lease) return;
    try {
      const keeper = await StateKeeper.load(deps.state, clock, policy.id);
      if (carryLogin(from, keeper.state)) keeper.markDirty();
      await keeper.save();
    } finally {
      await lease.release().catch(() => undefined);
    }
  } catch (error) {
    logger.warn('login time not recorded (LOGIN-DELAY)', { mailboxId: policy.id, error: error instanceof Error ? error.message : String(error) });
  }
}

/** The login record's write takes a load and a save: a short lease is plenty. */
const LOGIN_RECORD_LEASE_MS = 30_000;
