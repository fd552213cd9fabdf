import type { SyncStatusItem } from '../../nango/get-sync-status.js';
import type { KnownVariant } from '../../store/record-listed-variants.js';

/**
 * The variants (other than `base`) in one integration's `GET /sync/status` listing, each with the base models Nango
 * reported for it: the keys of `recordCount` and `latestResult` (both keyed by the base model, docs/nango-api.md
 * 10.1; absent for a variant that never ran).
 */
export function listedVariants(integration: string, items: ReadonlyArray<SyncStatusItem>): KnownVariant[] {
  return items.flatMap((item) => {
    if (item.variant === undefined || item.variant === 'base') return [];
    const models = new Set([...Object.keys(item.latestResult ?? {}), ...Object.keys(item.recordCount ?? {})]);
    return [
      {
        providerConfigKey: integration,
        connectionId: item.connection_id,
        syncName: item.name,
        variant: item.variant,
        models: [...models].sort(),
      },
    ];
  });
}
