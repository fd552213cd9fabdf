/**
 * Runs `fn` over `items` with at most `limit` calls in flight, in order of the items. Resolves when all are done;
 * the first failure stops new calls and rejects once the calls in flight have settled.
 * Commands issued concurrently on one Redis connection travel pipelined, so this batches Redis calls too.
 */
export async function forEachBounded<T>(
  items: ReadonlyArray<T>,
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        await fn(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  if (failure !== undefined) throw failure.error;
}
