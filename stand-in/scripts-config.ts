/** A model returned by a deployed sync. */
export interface DeployModelInput {
  name: string;
  /** Draft-7 JSON schema of the model (zod-style). Omit it on every model for a legacy deployment. */
  jsonSchema?: Record<string, unknown>;
  /** Legacy `models[].fields`; only rendered when the sync has no json_schema. */
  fields?: unknown[];
}

/** What a test passes to {@link RecordStore.deploySync}. */
export interface DeploySyncInput {
  providerConfigKey: string;
  /** Default: the provider of the integration's connections, else the providerConfigKey. */
  provider?: string;
  name: string;
  models: DeployModelInput[];
  /** Raw frequency string as deployed. Default `every day`. */
  runs?: string;
  /** Default `full`. */
  syncType?: 'full' | 'incremental';
  /** Default false. */
  trackDeletes?: boolean;
  /** Default true. */
  autoStart?: boolean;
  /** Default `1.0.0`. */
  version?: string | null;
}

/** A sync as the stand-in keeps it. */
export interface DeployedSync {
  id: number;
  providerConfigKey: string;
  provider: string;
  name: string;
  models: DeployModelInput[];
  runs: string;
  syncType: 'full' | 'incremental';
  trackDeletes: boolean;
  autoStart: boolean;
  version: string | null;
  /** Deploy time, epoch milliseconds. */
  deployedAtMs: number;
}

/** One element of the GET /scripts/config array (`StandardNangoConfig`). */
export interface StandardNangoConfig {
  providerConfigKey: string;
  provider: string;
  syncs: Record<string, unknown>[];
  actions: Record<string, unknown>[];
  'on-events': unknown[];
}

/**
 * GET /scripts/config body (docs/nango-api.md 4): syncs sorted by name, grouped by provider; the first
 * providerConfigKey seen wins for a provider deployed under two integrations.
 */
export function buildScriptsConfig(syncs: readonly DeployedSync[]): StandardNangoConfig[] {
  const byProvider = new Map<string, StandardNangoConfig>();
  const sorted = [...syncs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id - b.id));
  for (const sync of sorted) {
    let entry = byProvider.get(sync.provider);
    if (!entry) {
      entry = { providerConfigKey: sync.providerConfigKey, provider: sync.provider, syncs: [], actions: [], 'on-events': [] };
      byProvider.set(sync.provider, entry);
    }
    entry.syncs.push(renderSync(sync));
  }
  return [...byProvider.values()];
}

function renderSync(sync: DeployedSync): Record<string, unknown> {
  const zeroYaml = sync.models.every((model) => model.jsonSchema !== undefined);
  const definitions = Object.fromEntries(sync.models.map((model) => [model.name, structuredClone(model.jsonSchema)]));
  return {
    id: sync.id,
    name: sync.name,
    type: 'sync',
    returns: sync.models.map((model) => model.name),
    description: '',
    attributes: {},
    scopes: [],
    version: sync.version,
    source: 'repo',
    enabled: true,
    last_deployed: new Date(sync.deployedAtMs).toISOString(),
    endpoints: [{ method: 'GET', path: `/${sync.name}`, group: null }],
    webhookSubscriptions: [],
    sdk_version: zeroYaml ? '0.71.4-zero' : null,
    features: [],
    json_schema: zeroYaml ? { definitions } : null,
    models: sync.models.map((model) => ({ name: model.name, fields: zeroYaml ? [] : structuredClone(model.fields ?? []) })),
    sync_type: sync.syncType,
    auto_start: sync.autoStart,
    runs: sync.runs,
    track_deletes: sync.trackDeletes,
  };
}
