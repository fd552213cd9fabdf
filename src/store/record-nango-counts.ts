import { type Kysely, sql } from 'kysely';
import type { SyncStatusItem } from '../nango/get-sync-status.js';
import type { ReplicatorDatabase } from './replicator-tables.js';

/**
 * Writes Nango's own record counts (`recordCount[model]` of each base item of one integration's `GET /sync/status`)
 * to the matching streams' `nango_record_count`, with `nango_record_count_at = now()` (docs/nango-api.md 10.1). Only
 * items whose `variant` is absent or `base`: Nango's count ignores variants, so a variant's item repeats the base's.
 * One statement for the integration; a stream whose count did not change is not written (so an idle fleet costs no
 * row versions, and `nango_record_count_at` says since when Nango reports this count). Returns the streams written.
 */
export async function recordNangoCounts(
  db: Kysely<ReplicatorDatabase>,
  providerConfigKey: string,
  items: ReadonlyArray<SyncStatusItem>,
): Promise<number> {
  const counts = new Map<string, { connection: string; model: string; count: number }>();
  for (const item of items) {
    if (item.variant !== undefined && item.variant !== 'base') continue;
    for (const [model, count] of Object.entries(item.recordCount ?? {})) {
      if (!Number.isSafeInteger(count) || count < 0) continue;
      counts.set(`${item.connection_id}\u0000${model}`, { connection: item.connection_id, model, count });
    }
  }
  if (counts.size === 0) return 0;
  const rows = [...counts.values()];
  // The base stream only: a variant's count is not Nango's to report (its items repeat the base's).
  const result = await sql`
    UPDATE nango_replicator.streams s SET nango_record_count = c.count, nango_record_count_at = now()
      FROM unnest(${rows.map((r) => r.connection)}::text[], ${rows.map((r) => r.model)}::text[], ${rows.map((r) => r.count)}::bigint[])
        AS c(connection_id, model, count)
     WHERE s.provider_config_key = ${providerConfigKey} AND s.connection_id = c.connection_id AND s.model = c.model
       AND s.variant = 'base'
       AND s.nango_record_count IS DISTINCT FROM c.count`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}
