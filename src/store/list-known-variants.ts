import type { Kysely } from 'kysely';
import type { KnownVariant } from './record-listed-variants.js';
import type { ReplicatorDatabase } from './replicator-tables.js';

/** The variants of `integrations` that are followed: listed by Nango or announced by a webhook, and not gone since. */
export async function listKnownVariants(db: Kysely<ReplicatorDatabase>, integrations: ReadonlyArray<string>): Promise<KnownVariant[]> {
  if (integrations.length === 0) return [];
  const rows = await db
    .selectFrom('nango_replicator.sync_variants')
    .select(['provider_config_key', 'connection_id', 'sync_name', 'variant', 'models'])
    .where('provider_config_key', 'in', [...integrations])
    .where('gone_at', 'is', null)
    .orderBy(['provider_config_key', 'connection_id', 'sync_name', 'variant'])
    .execute();
  return rows.map((r) => ({
    providerConfigKey: r.provider_config_key,
    connectionId: r.connection_id,
    syncName: r.sync_name,
    variant: r.variant,
    models: r.models,
  }));
}
