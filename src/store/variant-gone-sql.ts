import { sql } from 'kysely';

/**
 * SQL: whether the stream `s` is a variant that Nango no longer lists (`nango_replicator.sync_variants` marks it gone
 * and no sync of its connection lists it any more): it is not followed, its rows stay (docs/nango-api.md 10.2).
 */
export const variantGoneSql = sql<boolean>`(s.variant <> 'base'
  AND EXISTS (SELECT 1 FROM nango_replicator.sync_variants g WHERE g.provider_config_key = s.provider_config_key
    AND g.connection_id = s.connection_id AND g.variant = s.variant AND g.gone_at IS NOT NULL)
  AND NOT EXISTS (SELECT 1 FROM nango_replicator.sync_variants g WHERE g.provider_config_key = s.provider_config_key
    AND g.connection_id = s.connection_id AND g.variant = s.variant AND g.gone_at IS NULL))`;

/** How `status` and the status page name such a stream. */
export const VARIANT_GONE_WORDING = 'not followed (variant gone): Nango no longer lists this variant; its rows stay';
