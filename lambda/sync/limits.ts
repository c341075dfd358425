/**
 * Every tunable of the sync core in one place, with its default, so the planner, the
 * checkpointing and the breaker cannot drift apart.
 */
export const SYNC_LIMITS = {
  /** Default PollLimits.maxMessageSize (the config's default too: lambda/config/defaults.ts reads it here). */
  defaultMaxMessageSize: 50 * 1024 * 1024,
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
  /**
   * Messages requested and not yet handed to ingestion (a sliding window, the engine's own
   * pipeline window); with fetchWindowBytes it bounds work abandoned at a deadline.
   */
  fetchWindow: 100,
  /** Circuit breaker: only mailboxes with at least this many known UIDs can trip it. */
  circuitMinKnown: 20,
  /** Circuit breaker: trips when more than this share of known UIDs is gone from the server... */
  circuitGoneShare: 0.5,
  /** ...and more than this share of the gone ones reappear as new UIDs of the same LIST size. */
  circuitMatchShare: 0.5,
  /**
   * Lease time-to-live, renewed every third of it while the poll runs: a poller killed hard
   * blocks its mailbox for at most this long, a live one is never overtaken.
   */
  leaseTtlMs: 60 * 1000,
  /** Failed fetch attempts of one UID before it is set aside (MailboxPolicy.maxAttempts). */
  defaultMaxAttempts: 3,
  /** A UID re-used this many times in a row (generations) is treated as failing. */
  maxGenerations: 16,
  /** Stores in flight at once: reading from POP3 never waits for one store. */
  storesInFlight: 16,
  /** Octets of message bodies held in memory for stores in flight (LIST sizes, then actual). */
  storeBytesInFlight: 32 * 1024 * 1024,
  /** A body up to this size is read into memory and stored in the background; larger ones stream. */
  inMemoryBodyBytes: 1024 * 1024,
  /** Octets (by LIST size) requested and not yet handed to ingestion, beside fetchWindow's count. */
  fetchWindowBytes: 16 * 1024 * 1024,
  /** Messages stored but not yet committed/announced before reading waits for the recorder. */
  recordQueueMax: 400,
  /** Events per publish call: the adapter sends its batches of 10 concurrently. */
  publishGroupSize: 50,
  /** Octets of a TOP reply kept in memory to evaluate a header filter. */
  filterHeaderBytes: 64 * 1024,
  /** EXPIRE (RFC 2449 section 6.7) below this many days with delete 'never' earns a warning. */
  expireWarnDays: 30,
} as const;
