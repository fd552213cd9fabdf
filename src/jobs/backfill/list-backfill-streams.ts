import { ReplicatorError } from '../../errors/replicator-error.js';
import type { NangoClient } from '../../nango/nango-client.js';
import type { ScriptsConfigCache } from '../../nango/scripts-config-cache.js';
import { BASE_VARIANT, type StreamKey } from '../../stream/stream-key.js';
import type { BackfillJobData } from './backfill-job-data.js';
import { type DeployedSyncInfo, integrationSyncs } from '../discovery/integration-syncs.js';
import { followedVariants, variantsByConnection } from '../discovery/followed-variants.js';
import type { KnownVariant } from '../../store/record-listed-variants.js';

/**
 * The streams a backfill message covers: its connection, or every connection of the integration Nango lists; its
 * model, or every model the integration's deployed syncs return; its variant, or the plain sync and every variant
 * known (`knownVariants`) of a sync returning the model. Asks Nango only for what the message leaves out. None at
 * all is a terminal error saying which half was empty.
 */
export async function listBackfillStreams(
  deps: {
    nango: NangoClient;
    scriptsConfig: ScriptsConfigCache;
    /** The variants followed of an integration (`listKnownVariants`); absent: a message without a variant means base. */
    knownVariants?(integrations: ReadonlyArray<string>): Promise<ReadonlyArray<KnownVariant>>;
  },
  message: Pick<BackfillJobData, 'providerConfigKey' | 'connectionId' | 'model' | 'variant'>,
  signal?: AbortSignal,
): Promise<StreamKey[]> {
  const integration = message.providerConfigKey;
  let provider: string | undefined;
  let connectionIds: string[];
  if (message.connectionId !== undefined) {
    connectionIds = [message.connectionId];
  } else {
    const listed = (await deps.nango.listConnections({ integrationIds: [integration], signal })).filter(
      (c) => c.provider_config_key === integration,
    );
    provider = listed.find((c) => c.provider !== undefined)?.provider;
    connectionIds = [...new Set(listed.map((c) => c.connection_id))];
    if (connectionIds.length === 0) throw noStreams(`Nango lists no connection of integration "${integration}"`);
  }
  let models: string[];
  let syncs: DeployedSyncInfo[] = [];
  if (message.model !== undefined) {
    models = [message.model];
  } else {
    syncs = integrationSyncs(await deps.scriptsConfig.get({ fresh: true, signal }), integration, provider);
    models = [...new Set(syncs.flatMap((sync) => sync.models))];
    if (models.length === 0) throw noStreams(`no sync deployed to integration "${integration}" returns a model`);
  }
  const { variant } = message;
  const known = variant === undefined ? variantsByConnection((await deps.knownVariants?.([integration])) ?? []) : null;
  const everyVariant = { integration, variants: '*' } as const;
  return connectionIds.flatMap((connectionId) =>
    models.flatMap((model) =>
      (known === null ? [variant ?? BASE_VARIANT] : followedVariants(everyVariant, known, { connectionId, model, syncs })).map((v) => ({
        providerConfigKey: integration,
        connectionId,
        model,
        variant: v,
      })),
    ),
  );
}

function noStreams(why: string): ReplicatorError {
  return new ReplicatorError('backfill_no_streams', `Nothing to backfill: ${why}. Check the integration key.`, { retry: 'terminal' });
}
