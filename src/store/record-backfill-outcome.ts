import { type Kysely, sql } from 'kysely';
import type { ReplicatorDatabase } from './replicator-tables.js';
import type { StreamKey } from '../stream/stream-key.js';

/**
 * Stores what a backfill of the stream did on its row (created if needed), for `status`: mode, outcome, counts,
 * and for a refused replace the circuit breaker's reason. `at` is the database's clock. Replaced by the next
 * backfill of the stream; incremental runs leave it alone. `outcome` holds no secret and no stack.
 */
export async function recordBackfillOutcome(
  db: Kysely<ReplicatorDatabase>,
  stream: StreamKey,
  outcome: Record<string, unknown>,
): Promise<void> {
  const json = sql<string>`jsonb_build_object('at', now()) || ${JSON.stringify(outcome)}::jsonb`;
  await db
    .insertInto('nango_replicator.streams')
    .values({
      provider_config_key: stream.providerConfigKey,
      connection_id: stream.connectionId,
      model: stream.model,
      variant: stream.variant,
      last_backfill: json,
    })
    .onConflict((oc) => oc.constraint('streams_stream_key').doUpdateSet({ last_backfill: json }))
    .execute();
}
