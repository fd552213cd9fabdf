import type { Kysely } from 'kysely';
import type { ReplicatorDatabase } from './replicator-tables.js';
import type { StreamKey } from '../stream/stream-key.js';

/**
 * Stores why a stream's last job failed on its row (created if needed), for `status`: also failures before a run
 * could start (the key refused, the model table not creatable), which `finishRun` never sees. Cleared by the next
 * successful run. `error` holds code and message, never a stack or a secret.
 */
export async function recordStreamError(db: Kysely<ReplicatorDatabase>, stream: StreamKey, error: Record<string, unknown>): Promise<void> {
  const json = JSON.stringify(error);
  await db
    .insertInto('nango_replicator.streams')
    .values({
      provider_config_key: stream.providerConfigKey,
      connection_id: stream.connectionId,
      model: stream.model,
      variant: stream.variant,
      last_error: json,
    })
    .onConflict((oc) => oc.constraint('streams_stream_key').doUpdateSet({ last_error: json }))
    .execute();
}
