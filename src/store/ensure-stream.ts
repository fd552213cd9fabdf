import type { Kysely } from 'kysely';
import type { ReplicatorDatabase } from './replicator-tables.js';
import type { StreamKey } from './stream-key.js';

/** A stream's persisted state as a run starts. */
export interface StreamState {
  id: string;
  /** The `_nango_metadata.cursor` of the last record committed; null before the first page. */
  cursor: string | null;
}

/** Returns the stream's row, creating it on first use. Concurrent callers get the same row. */
export async function ensureStream(db: Kysely<ReplicatorDatabase>, stream: StreamKey): Promise<StreamState> {
  await db
    .insertInto('nango_replicator.streams')
    .values({ provider_config_key: stream.providerConfigKey, connection_id: stream.connectionId, model: stream.model })
    .onConflict((oc) => oc.constraint('streams_stream_key').doNothing())
    .execute();
  return db
    .selectFrom('nango_replicator.streams')
    .select(['id', 'cursor'])
    .where('provider_config_key', '=', stream.providerConfigKey)
    .where('connection_id', '=', stream.connectionId)
    .where('model', '=', stream.model)
    .executeTakeFirstOrThrow();
}
