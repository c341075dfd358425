/**
 * Who holds a local lease or lock, recorded so another process can tell a dead holder from a
 * live one without waiting out a timeout.
 *
 * A pid alone proves nothing: a container sharing the folder (same host name, another PID
 * namespace) has its own pids, and a pid is reused after its process dies. So a holder is judged
 * gone only when it is provably ours to judge: the same host name, the same boot
 * (/proc/sys/kernel/random/boot_id) and the same PID namespace (the inode of /proc/self/ns/pid,
 * unique among live namespaces of one boot), and then its pid is dead or belongs to a process
 * started at another time (field 22 of /proc/<pid>/stat, proc(5)). Anything else, including a
 * Linux without /proc, is 'unknown': the caller waits for the holder's expiry. Systems without
 * PID namespaces (macOS, Windows) judge a same-host holder by its pid alone.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

/** The identity a holder records beside its lease or lock. */
export interface ProcessIdentity {
  pid: number;
  host: string;
  /** Linux boot id; absent where /proc does not have it. */
  boot?: string;
  /** PID namespace, e.g. "pid:[4026531836]"; absent without /proc. */
  pidNs?: string;
  /** Start time of the process in clock ticks since boot; absent without /proc. */
  start?: string;
}

/** What can be said about a recorded holder from this process. */
export type HolderStatus = 'alive' | 'gone' | 'unknown';

let self: ProcessIdentity | undefined;

/** This process's identity (read once: none of it changes while we run). */
export function selfIdentity(): ProcessIdentity {
  if (self === undefined) {
    const identity: ProcessIdentity = { pid: process.pid, host: hostname() };
    const boot = readOrUndefined(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    const pidNs = readOrUndefined(() => readlinkSync('/proc/self/ns/pid'));
    const start = startTimeOf(process.pid);
    if (boot) identity.boot = boot;
    if (pidNs) identity.pidNs = pidNs;
    if (start) identity.start = start;
    self = identity;
  }
  return self;
}

/**
 * 'gone' only when the holder provably ran in our PID namespace on this boot and its pid is dead
 * or reused; 'alive' when it provably still runs; 'unknown' when we cannot tell from here.
 */
export function holderStatus(holder: Partial<ProcessIdentity> | null | undefined): HolderStatus {
  const me = selfIdentity();
  if (holder?.pid === undefined || !Number.isSafeInteger(holder.pid) || holder.pid <= 0) return 'unknown';
  if (holder.host !== me.host) return 'unknown';
  if (process.platform !== 'linux') {
    // No PID namespaces (macOS, Windows): one host name is one pid space. Without /proc a
    // reused pid cannot be told apart, so a live pid counts as the holder (the safe direction).
    if (holder.pidNs !== undefined) return 'unknown';
    return signal(holder.pid) ?? 'alive';
  }
  if (me.boot === undefined || me.pidNs === undefined || me.start === undefined) return 'unknown';
  if (holder.boot !== me.boot || holder.pidNs !== me.pidNs) return 'unknown';
  if (holder.pid === me.pid) return holder.start === me.start ? 'alive' : 'gone';
  const signalled = signal(holder.pid);
  if (signalled !== undefined) return signalled;
  const start = startTimeOf(holder.pid);
  // Exited between the signal and the read: gone. A holder that recorded no start time is
  // judged by its pid alone (alive), the safe direction.
  if (start === undefined) return 'gone';
  return holder.start === undefined || holder.start === start ? 'alive' : 'gone';
}

/** The identity fields of a parsed JSON record, each checked for its type; others dropped. */
export function identityFrom(value: Record<string, unknown>): Partial<ProcessIdentity> {
  const out: Partial<ProcessIdentity> = {};
  if (Number.isSafeInteger(value.pid) && (value.pid as number) > 0) out.pid = value.pid as number;
  for (const field of ['host', 'boot', 'pidNs', 'start'] as const) {
    if (typeof value[field] === 'string') out[field] = value[field];
  }
  return out;
}

/** Signal 0 probes a pid: 'gone' on ESRCH, 'unknown' on an unexpected error, undefined when it exists. */
function signal(pid: number): HolderStatus | undefined {
  try {
    process.kill(pid, 0);
    return undefined;
  } catch (error) {
    // EPERM: the process exists but is not ours to signal.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPERM') return undefined;
    return code === 'ESRCH' ? 'gone' : 'unknown';
  }
}

/** proc(5): field 22 of /proc/<pid>/stat; the command name (field 2) may hold spaces and ')'. */
function startTimeOf(pid: number): string | undefined {
  return readOrUndefined(() => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state), so field 22 is fields[19].
    const start = fields[19];
    return start !== undefined && /^\d+$/.test(start) ? start : undefined;
  });
}

function readOrUndefined(read: () => string | undefined): string | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}
