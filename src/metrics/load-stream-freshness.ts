import { type Kysely, sql } from 'kysely';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import type { StreamFreshness } from './create-replicator-metrics.js';

/**
 * Every stream's timings from `nango_replicator.streams`, computed on the database clock (one clock for the
 * whole fleet, whatever each machine's). One scan of a table with one row per stream.
 */
export async function loadStreamFreshness(db: Kysely<ReplicatorDatabase>): Promise<StreamFreshness[]> {
  const rows = await db
    .selectFrom('nango_replicator.streams')
    .select([
      'provider_config_key',
      'connection_id',
      'model',
      'variant',
      sql<number | null>`extract(epoch FROM last_success_at)::float8`.as('last_success_epoch'),
      sql<number | null>`extract(epoch FROM now() - newest_modified_at)::float8`.as('lag_seconds'),
      sql<number | null>`extract(epoch FROM now() - last_success_at)::float8`.as('since_success_seconds'),
    ])
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    stream: { providerConfigKey: r.provider_config_key, connectionId: r.connection_id, model: r.model, variant: r.variant },
    lastSuccessEpochSeconds: r.last_success_epoch,
    freshnessLagSeconds: r.lag_seconds,
    secondsSinceLastSuccess: r.since_success_seconds,
  }));
}
