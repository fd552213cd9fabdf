/**
 * A strictly increasing microsecond clock derived from a millisecond clock: each call returns
 * `now() * 1000` or, when that is not later than the previous value, the previous value + 1 µs.
 * It stands in for Postgres `NOW()`: one call per write transaction.
 */
export function createMicroClock(now: () => number): () => number {
  let last = Number.NEGATIVE_INFINITY;
  return () => {
    const candidate = Math.floor(now() * 1000);
    last = candidate > last ? candidate : last + 1;
    return last;
  };
}
