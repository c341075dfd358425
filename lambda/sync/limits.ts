/**
 * Every tunable of the sync core in one place, with its default, so the planner, the
 * checkpointing and the breaker cannot drift apart.
 */
export const SYNC_LIMITS = {
  /** Default PollLimits.maxMessageSize (matches lambda/config/defaults.ts). */
  defaultMaxMessageSize: 50 * 1024 * 1024,
  /** Events per publish batch: EventBridge PutEvents takes at most 10 entries. */
  publishBatchSize: 10,
  /** Publish (and checkpoint) at least this often while messages keep arriving. */
  publishBatchMs: 2_000,
  /**
   * Checkpoint (save the seen-state) after a publish batch once
   * max(checkpointEveryMessages, checkpointGrowthShare x UIDs in the state) messages were
   * recorded since the last save, or checkpointEveryMs scaled by the same factor passed.
   * A save rewrites the whole document (about 200 octets per UID): a fixed count would make a
   * first import quadratic (100 saves, 96 MB for 10,000 messages). Growing the count with the
   * document makes the saves a geometric series, about 11x the final size in all, and caps
   * timer saves at about 20 KB/s. A hard kill re-fetches at most that many messages, and finds
   * every object already stored (docs/delivery-guarantees.md, promise 4).
   */
  checkpointEveryMessages: 100,
  /** Share of the state's UIDs that may be recorded unsaved (see checkpointEveryMessages). */
  checkpointGrowthShare: 0.1,
  /** Time between checkpoints while the threshold is checkpointEveryMessages; scaled with it. */
  checkpointEveryMs: 10_000,
  /** Messages requested per pipelined fetch call; bounds work abandoned at a deadline. */
  fetchWindow: 32,
  /** Circuit breaker: only mailboxes with at least this many known UIDs can trip it. */
  circuitMinKnown: 20,
  /** Circuit breaker: trips when more than this share of listed UIDs is unknown... */
  circuitUnknownShare: 0.5,
  /** ...and more than this share of known UIDs is gone from the server. */
  circuitGoneShare: 0.5,
  /** Lease time-to-live when the caller gives no deadline. */
  defaultLeaseTtlMs: 15 * 60 * 1000,
  /** Added to (deadline - now) for the lease: finishing in-flight work, QUIT, last save. */
  leaseGraceMs: 2 * 60 * 1000,
  /** Octets of a TOP reply kept in memory to evaluate a header filter. */
  filterHeaderBytes: 64 * 1024,
  /** EXPIRE (RFC 2449 section 6.7) below this many days with delete 'never' earns a warning. */
  expireWarnDays: 30,
} as const;
