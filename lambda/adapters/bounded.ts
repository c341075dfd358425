/**
 * Bounded concurrency for adapters that issue many independent requests (fsyncs, PutEvents
 * batches): at most `limit` in flight, every item attempted even when one fails.
 */

/**
 * Runs `task` over `items` with at most `limit` running at once. Resolves when all have
 * settled; rejects with the first failure (in input order) after all have settled, so no task
 * is left running behind the caller's back.
 */
export async function settleBounded<T>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  const failures: { index: number; error: unknown }[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      try {
        await task(items[index] as T, index);
      } catch (error) {
        failures.push({ index, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  if (failures.length > 0) {
    failures.sort((a, b) => a.index - b.index);
    throw (failures[0] as { error: unknown }).error;
  }
}
