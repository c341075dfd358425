/**
 * Time budget of one invocation, derived from what Lambda says is left.
 */

/** When to stop starting new messages, and when to abort whatever is still running. */
export interface InvocationBudget {
  /** Start no new message after this (pollMailbox's deadline): finish, record, QUIT. */
  deadline: Date;
  /**
   * Hard stop: the session is dropped without QUIT (nothing deleted) so state can still be saved.
   * The poll gets it as finishBy and sizes its DELE and QUIT to end before it (finish-budget.ts).
   */
  abortAt: Date;
}

/**
 * The soft deadline keeps max(5 s, 15%) of the remaining time for finishing in-flight messages,
 * saving state, DELE and QUIT; the hard abort keeps max(2 s, 5%) for recording and flushing
 * metrics. The share is only a cap: the poll stops earlier, or deletes fewer, when what it
 * measured says its delete phase would not end before the hard abort.
 */
export function invocationBudget(remainingMs: number, now: Date): InvocationBudget {
  const remaining = Math.max(0, remainingMs);
  const soft = Math.max(0, remaining - Math.max(5_000, remaining * 0.15));
  const hard = Math.max(soft, remaining - Math.max(2_000, remaining * 0.05));
  return { deadline: new Date(now.getTime() + soft), abortAt: new Date(now.getTime() + hard) };
}
