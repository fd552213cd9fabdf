import { isRecord, ownValue } from '../../schema/is-record.js';

/** A sync deployed to an integration, as far as scheduling needs it. */
export interface DeployedSyncInfo {
  name: string;
  /** The models it returns. */
  models: string[];
  /** Its raw frequency as deployed (`every hour`), or null when absent. */
  runs: string | null;
}

/**
 * The syncs of `integration` in the body of GET /scripts/config (untrusted; odd shapes are skipped).
 *
 * Entries are grouped by provider, and two integrations of one provider are merged into the entry of the first
 * one seen (docs/nango-api.md 4). So: the entries whose `providerConfigKey` is the integration; when there is none, the
 * entry of the integration's `provider` (known from its connections), if given.
 */
export function integrationSyncs(scriptsConfig: unknown, integration: string, provider?: string): DeployedSyncInfo[] {
  if (!Array.isArray(scriptsConfig)) return [];
  const entries = scriptsConfig.filter(isRecord);
  let chosen = entries.filter((entry) => ownValue(entry, 'providerConfigKey') === integration);
  if (chosen.length === 0 && provider !== undefined) chosen = entries.filter((entry) => ownValue(entry, 'provider') === provider);
  return chosen.flatMap((entry) => {
    const syncs = ownValue(entry, 'syncs');
    return Array.isArray(syncs) ? syncs.flatMap(readSync) : [];
  });
}

function readSync(sync: unknown): DeployedSyncInfo[] {
  if (!isRecord(sync)) return [];
  const name = ownValue(sync, 'name');
  const returns = ownValue(sync, 'returns');
  const runs = ownValue(sync, 'runs');
  const models = (Array.isArray(returns) ? returns : [returns]).filter((m): m is string => typeof m === 'string' && m !== '');
  if (typeof name !== 'string' || models.length === 0) return [];
  return [{ name, models, runs: typeof runs === 'string' ? runs : null }];
}
