import { type Kysely, sql } from 'kysely';
import type { ReplicatorDatabase } from './replicator-tables.js';
import type { StreamKey } from '../stream/stream-key.js';

/** The streams with a run still `running` that started before `startedBefore`, ordered by integration, connection, model, variant. */
export async function listStreamsWithRunningRuns(db: Kysely<ReplicatorDatabase>, options: { startedBefore: Date }): Promise<StreamKey[]> {
  const rows = await db
    .selectFrom('nango_replicator.streams as s')
    .select(['s.provider_config_key', 's.connection_id', 's.model', 's.variant'])
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('nango_replicator.runs as r')
          .select('r.id')
          .whereRef('r.stream_id', '=', 's.id')
          .where('r.status', '=', 'running')
          .where(sql<boolean>`r.started_at < ${options.startedBefore}`),
      ),
    )
    .orderBy('s.provider_config_key')
    .orderBy('s.connection_id')
    .orderBy('s.model')
    .orderBy('s.variant')
    .execute();
  return rows.map((r) => ({ providerConfigKey: r.provider_config_key, connectionId: r.connection_id, model: r.model, variant: r.variant }));
}
