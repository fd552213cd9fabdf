import { type Kysely, sql } from 'kysely';
import type { ReplicatorDatabase } from './replicator-tables.js';
import type { StreamKey } from '../stream/stream-key.js';

/** A stream's persisted state as a run starts. */
export interface StreamState {
  id: string;
  /** The `_nango_metadata.cursor` of the last record committed; null before the first page. */
  cursor: string | null;
  /** A run has read the stream to its end; until then, what lies past the cursor is not stored yet. */
  readToEnd: boolean;
}

/** Returns the stream's row, creating it on first use. Concurrent callers get the same row. */
export async function ensureStream(db: Kysely<ReplicatorDatabase>, stream: StreamKey): Promise<StreamState> {
  await db
    .insertInto('nango_replicator.streams')
    .values({
      provider_config_key: stream.providerConfigKey,
      connection_id: stream.connectionId,
      model: stream.model,
      variant: stream.variant,
    })
    .onConflict((oc) => oc.constraint('streams_stream_key').doNothing())
    .execute();
  return db
    .selectFrom('nango_replicator.streams')
    .select(['id', 'cursor', sql<boolean>`read_to_end_at IS NOT NULL`.as('readToEnd')])
    .where('provider_config_key', '=', stream.providerConfigKey)
    .where('connection_id', '=', stream.connectionId)
    .where('model', '=', stream.model)
    .where('variant', '=', stream.variant)
    .executeTakeFirstOrThrow();
}
