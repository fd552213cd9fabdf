import { type RawBuilder, sql } from 'kysely';

/**
 * The flag of a stream whose live row count and Nango's record count (`streams.nango_record_count`, from
 * `GET /sync/status`) differ by more than 1% of the larger: `|live - nango| * 100 > max(live, nango)`. False when
 * Nango's count was never read, and when both are 0. A hint only: Nango's count ignores variants, and it is read
 * only where `/sync/status` is (docs/nango-api.md 10.1). The one rule behind `status`, its summary and the status
 * page.
 */
export function countsDifferSql(live: RawBuilder<number> | RawBuilder<unknown>, nango: RawBuilder<unknown>): RawBuilder<boolean> {
  return sql<boolean>`coalesce(abs((${live})::numeric - (${nango})::numeric) * 100 > greatest((${live})::numeric, (${nango})::numeric), false)`;
}

/** The flag's wording, shared by `status`, its summary and the status page. */
export const COUNTS_DIFFER_WORDING = "differ from Nango's record count by more than 1% (a hint: Nango's count ignores variants)";
