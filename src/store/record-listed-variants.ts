import { type Kysely, sql } from 'kysely';
import type { ReplicatorDatabase } from './replicator-tables.js';

/** A sync variant of one connection, as `GET /sync/status` lists it or a webhook announces it. */
export interface KnownVariant {
  providerConfigKey: string;
  connectionId: string;
  /** The sync's name (`name` in `/sync/status`, `syncName` in a webhook). */
  syncName: string;
  /** Never `base`: the plain sync needs no row. */
  variant: string;
  /** The base models Nango reported for it; may be empty (a variant that never ran). */
  models: ReadonlyArray<string>;
}

/**
 * The conflict clause of an insert into `nango_replicator.sync_variants AS v`: a variant known already is seen now
 * (no longer gone), and its models are the union of what it had and what was reported.
 */
export const markSeenOnConflict = sql`
  ON CONFLICT (provider_config_key, connection_id, sync_name, variant) DO UPDATE
    SET last_seen_at = now(), gone_at = NULL,
        models = ARRAY(SELECT DISTINCT m FROM unnest(v.models || EXCLUDED.models) m ORDER BY m)`;

/** What one listing changed: variants seen for the first time (or again after a deletion), and variants gone. */
export interface VariantsRefresh {
  added: KnownVariant[];
  gone: KnownVariant[];
}

/**
 * Brings `nango_replicator.sync_variants` in line with one complete `GET /sync/status` listing of `integration`
 * (every connection's syncs, docs/nango-api.md 10.1): listed variants are added, or marked seen (and no longer gone);
 * the integration's known variants the listing lacks get `gone_at` (a variant deleted in Nango, or its connection).
 * Only a listing that answered may be recorded: a failed or abandoned one says nothing about what is gone.
 */
export async function recordListedVariants(
  db: Kysely<ReplicatorDatabase>,
  integration: string,
  listed: ReadonlyArray<KnownVariant>,
): Promise<VariantsRefresh> {
  const rows = dedupe(listed.filter((v) => v.providerConfigKey === integration && v.variant !== 'base'));
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`nango-replicator:variants:${integration}`}))`.execute(trx);
    const { rows: before } = await sql<{ key: string }>`
      SELECT concat_ws(E'\\n', connection_id, sync_name, variant) AS key FROM nango_replicator.sync_variants
      WHERE provider_config_key = ${integration} AND gone_at IS NULL`.execute(trx);
    const followed = new Set(before.map((r) => r.key));
    await sql`
      INSERT INTO nango_replicator.sync_variants AS v (provider_config_key, connection_id, sync_name, variant, models)
      SELECT ${integration}, l.connection_id, l.sync_name, l.variant, ARRAY(SELECT jsonb_array_elements_text(l.models))
      FROM jsonb_to_recordset(${JSON.stringify(rows.map(listedRow))}::jsonb)
        AS l(connection_id text, sync_name text, variant text, models jsonb)
      ${markSeenOnConflict}`.execute(trx);
    const { rows: gone } = await sql<VariantRow>`
      UPDATE nango_replicator.sync_variants v SET gone_at = now()
      WHERE v.provider_config_key = ${integration} AND v.gone_at IS NULL AND v.last_seen_at < now()
      RETURNING provider_config_key, connection_id, sync_name, variant, models`.execute(trx);
    const added = rows.filter((v) => !followed.has([v.connectionId, v.syncName, v.variant].join('\n')));
    return { added: dedupe(added), gone: gone.map(knownVariant) };
  });
}

interface VariantRow {
  provider_config_key: string;
  connection_id: string;
  sync_name: string;
  variant: string;
  models: string[];
}

function listedRow(v: KnownVariant): { connection_id: string; sync_name: string; variant: string; models: ReadonlyArray<string> } {
  return { connection_id: v.connectionId, sync_name: v.syncName, variant: v.variant, models: v.models };
}

/** One entry per (connection, sync, variant): an upsert may not touch a row twice. */
function dedupe(variants: ReadonlyArray<KnownVariant>): KnownVariant[] {
  return [...new Map(variants.map((v) => [[v.connectionId, v.syncName, v.variant].join('\n'), v])).values()];
}

function knownVariant(row: VariantRow): KnownVariant {
  const { provider_config_key: providerConfigKey, connection_id: connectionId, sync_name: syncName, variant, models } = row;
  return { providerConfigKey, connectionId, syncName, variant, models };
}
