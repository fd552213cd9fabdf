import { type Kysely, sql } from 'kysely';
import { type KnownVariant, markSeenOnConflict } from './record-listed-variants.js';
import type { ReplicatorDatabase } from './replicator-tables.js';

/**
 * Records a variant a sync webhook announced (`syncVariant`, docs/nango-api.md 10.2), so that discovery follows it
 * from its next pass without waiting for the next `GET /sync/status` listing. Returns true when the variant was not
 * followed before (new, or back after it was gone).
 */
export async function recordAnnouncedVariant(db: Kysely<ReplicatorDatabase>, variant: KnownVariant): Promise<boolean> {
  if (variant.variant === 'base') return false;
  const { rows } = await sql<{ was_gone: boolean | null }>`
    WITH previous AS (
      SELECT gone_at IS NOT NULL AS was_gone FROM nango_replicator.sync_variants
      WHERE provider_config_key = ${variant.providerConfigKey} AND connection_id = ${variant.connectionId}
        AND sync_name = ${variant.syncName} AND variant = ${variant.variant}
    ), written AS (
      INSERT INTO nango_replicator.sync_variants AS v (provider_config_key, connection_id, sync_name, variant, models)
      VALUES (${variant.providerConfigKey}, ${variant.connectionId}, ${variant.syncName}, ${variant.variant},
        ${[...variant.models]}::text[])
      ${markSeenOnConflict}
    )
    SELECT (SELECT was_gone FROM previous) AS was_gone`.execute(db);
  const wasGone = rows[0]?.was_gone;
  return wasGone === null || wasGone === undefined || wasGone;
}
