/** A dbt freshness threshold: `{ count, period }` with period minute, hour or day. */
export interface DbtFreshnessThreshold {
  count: number;
  period: 'minute' | 'hour' | 'day';
}

/** A source table's `freshness` block. */
export interface DbtFreshness {
  warn_after: DbtFreshnessThreshold;
  error_after: DbtFreshnessThreshold;
}

/** A table is "late" after this many sync periods without a new row, and in error after that many. */
export const WARN_AFTER_PERIODS = 2;
export const ERROR_AFTER_PERIODS = 4;

const MINUTE_MS = 60_000;

/**
 * The freshness block of a table synced every `everyMs`: warn after {@link WARN_AFTER_PERIODS} periods, error after
 * {@link ERROR_AFTER_PERIODS}, each rounded up to whole minutes and written in the largest unit that divides it.
 */
export function dbtFreshness(everyMs: number): DbtFreshness {
  return {
    warn_after: threshold(everyMs * WARN_AFTER_PERIODS),
    error_after: threshold(everyMs * ERROR_AFTER_PERIODS),
  };
}

function threshold(ms: number): DbtFreshnessThreshold {
  const minutes = Math.max(1, Math.ceil(ms / MINUTE_MS));
  if (minutes % 1440 === 0) return { count: minutes / 1440, period: 'day' };
  if (minutes % 60 === 0) return { count: minutes / 60, period: 'hour' };
  return { count: minutes, period: 'minute' };
}
