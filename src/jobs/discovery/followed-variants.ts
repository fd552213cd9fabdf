import type { StreamRule } from '../../config/replicator-config.js';
import type { KnownVariant } from '../../store/record-listed-variants.js';
import type { DeployedSyncInfo } from './integration-syncs.js';

/** The known variants by connection, for {@link followedVariants}. */
export type VariantsByConnection = ReadonlyMap<string, ReadonlyArray<KnownVariant>>;

/** Indexes known variants by (integration, connection). */
export function variantsByConnection(variants: ReadonlyArray<KnownVariant>): VariantsByConnection {
  const index = new Map<string, KnownVariant[]>();
  for (const v of variants) {
    const key = connectionKey(v.providerConfigKey, v.connectionId);
    const list = index.get(key);
    if (list === undefined) index.set(key, [v]);
    else list.push(v);
  }
  return index;
}

/**
 * The variants of one (connection, model) that `rule` follows, `base` first when it follows the plain sync. A known
 * variant belongs to the model when Nango reported the model for it, or when its sync returns the model (GET
 * /scripts/config); a variant is a variant of a sync, so of each model the sync returns.
 */
export function followedVariants(
  rule: Pick<StreamRule, 'integration' | 'variants'>,
  known: VariantsByConnection,
  params: { connectionId: string; model: string; syncs: ReadonlyArray<DeployedSyncInfo> },
): string[] {
  const ofModel = (known.get(connectionKey(rule.integration, params.connectionId)) ?? []).filter(
    (v) => v.models.includes(params.model) || params.syncs.some((s) => s.name === v.syncName && s.models.includes(params.model)),
  );
  const variants = ['base', ...new Set(ofModel.map((v) => v.variant))];
  return variants.filter((variant) => ruleFollowsVariant(rule, variant));
}

/** Whether `rule` follows `variant` (`variants` absent or `*`: every one; else the names listed, `base` the plain sync). */
export function ruleFollowsVariant(rule: Pick<StreamRule, 'variants'>, variant: string): boolean {
  return rule.variants === undefined || rule.variants === '*' || rule.variants.includes(variant);
}

function connectionKey(integration: string, connectionId: string): string {
  return `${integration}\u0000${connectionId}`;
}
