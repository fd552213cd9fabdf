import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { NangoClient } from '../../nango/nango-client.js';
import type { SyncStatusItem } from '../../nango/get-sync-status.js';
import { recordNangoCounts } from '../../store/record-nango-counts.js';
import { recordListedVariants } from '../../store/record-listed-variants.js';
import type { ReplicatorDatabase } from '../../store/replicator-tables.js';
import { listedVariants } from './listed-variants.js';
import { startSyncStatusReader } from './start-sync-status-reader.js';

export interface VariantLookupDeps {
  db: Kysely<ReplicatorDatabase>;
  nango: Pick<NangoClient, 'getSyncStatus'>;
  redis: Redis;
  logger: Logger;
}

/**
 * Records the variants one integration's `GET /sync/status` listing holds in `nango_replicator.sync_variants`
 * (discovery follows them from its next pass; a variant the listing no longer has is marked gone: its stream
 * stops, its rows stay) and logs what changed.
 */
export async function recordVariantListing(
  deps: Pick<VariantLookupDeps, 'db' | 'logger'>,
  integration: string,
  items: ReadonlyArray<SyncStatusItem>,
): Promise<void> {
  const { added, gone } = await recordListedVariants(deps.db, integration, listedVariants(integration, items));
  for (const v of added) {
    deps.logger.info(
      { integration, connection: v.connectionId, sync: v.syncName, variant: v.variant },
      'sync variant found: its streams follow',
    );
  }
  for (const v of gone) {
    deps.logger.warn(
      { integration, connection: v.connectionId, sync: v.syncName, variant: v.variant },
      'sync variant gone from Nango: its streams stop, their rows stay',
    );
  }
}

/**
 * Looks up the sync variants of `integrations` (only `GET /sync/status` lists them, docs/nango-api.md 10.2) once per
 * `everyMs` in one process of the fleet, and keeps Nango's record counts beside the streams' rows as the hints do; a
 * failed or slow answer changes nothing (the variants known stay followed).
 */
export function startVariantLookup(
  deps: VariantLookupDeps,
  options: { integrations: ReadonlyArray<string>; everyMs: number; timeoutMs: number; leaseKey: string; owner: string },
): { close(): Promise<void> } {
  return startSyncStatusReader(
    {
      ...deps,
      async onListing(integration, items) {
        await recordVariantListing(deps, integration, items);
        await recordNangoCounts(deps.db, integration, items);
      },
    },
    { ...options, onFailure: 'the variants already known stay followed (a rule with `variants: [base]` does not look them up)' },
  );
}
