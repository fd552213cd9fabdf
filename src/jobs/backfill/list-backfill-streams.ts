import { ReplicatorError } from '../../errors/replicator-error.js';
import type { NangoClient } from '../../nango/nango-client.js';
import type { ScriptsConfigCache } from '../../nango/scripts-config-cache.js';
import type { StreamKey } from '../../stream/stream-key.js';
import type { BackfillJobData } from './backfill-job-data.js';
import { integrationSyncs } from '../discovery/integration-syncs.js';

/**
 * The streams a backfill message covers: its connection, or every connection of the integration Nango lists; its
 * model, or every model the integration's deployed syncs return. Asks Nango only for what the message leaves out.
 * None at all is a terminal error saying which half was empty.
 */
export async function listBackfillStreams(
  deps: { nango: NangoClient; scriptsConfig: ScriptsConfigCache },
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
  if (message.model !== undefined) {
    models = [message.model];
  } else {
    const syncs = integrationSyncs(await deps.scriptsConfig.get({ fresh: true, signal }), integration, provider);
    models = [...new Set(syncs.flatMap((sync) => sync.models))];
    if (models.length === 0) throw noStreams(`no sync deployed to integration "${integration}" returns a model`);
  }
  return connectionIds.flatMap((connectionId) =>
    models.map((model) => ({ providerConfigKey: integration, connectionId, model, variant: message.variant })),
  );
}

function noStreams(why: string): ReplicatorError {
  return new ReplicatorError('backfill_no_streams', `Nothing to backfill: ${why}. Check the integration key.`, { retry: 'terminal' });
}
