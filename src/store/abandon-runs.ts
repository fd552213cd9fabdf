import { type Kysely, sql } from 'kysely';
import type { ReplicatorDatabase } from './replicator-tables.js';
import type { StreamKey } from '../stream/stream-key.js';

/** The error an abandoned run is closed with, on the run and (if nothing newer succeeded) on its stream. */
export const ABANDONED_RUN_ERROR = Object.freeze({
  code: 'run_abandoned',
  message:
    'The process running this run stopped without finishing it (killed, out of memory, or its machine lost); ' +
    'what it committed stays, and the next run continues from the last committed page.',
});

/** A run closed as abandoned. */
export interface AbandonedRun {
  id: string;
  kind: string;
  startedAt: Date;
}

/**
 * Closes the stream's runs still `running` that started before `startedBefore` (default: now) as `abandoned`, with
 * `finished_at` now and {@link ABANDONED_RUN_ERROR}. Call it only when none of them can still be going on: the
 * caller holds the stream lock and has not started its own run, or found the lock free at `startedBefore` (a run
 * is `running` only while its process holds the lock). The error is also stored as the stream's last error unless a
 * run succeeded after the newest of them started. A run closed by mistake (a process whose lock expired under it)
 * still records its real outcome when it ends: `finishRun` overwrites the status.
 */
export async function abandonRuns(
  db: Kysely<ReplicatorDatabase>,
  stream: StreamKey,
  options: { startedBefore?: Date } = {},
): Promise<AbandonedRun[]> {
  const error = JSON.stringify(ABANDONED_RUN_ERROR);
  return db.transaction().execute(async (trx) => {
    const streamRow = await trx
      .selectFrom('nango_replicator.streams')
      .select('id')
      .where('provider_config_key', '=', stream.providerConfigKey)
      .where('connection_id', '=', stream.connectionId)
      .where('model', '=', stream.model)
      .where('variant', '=', stream.variant)
      .executeTakeFirst();
    if (streamRow === undefined) return [];
    const runs = await trx
      .updateTable('nango_replicator.runs')
      .set({ status: 'abandoned', finished_at: sql<Date>`now()`, error })
      .where('stream_id', '=', streamRow.id)
      .where('status', '=', 'running')
      .where(sql<boolean>`started_at < ${options.startedBefore ?? sql`now()`}`)
      .returning(['id', 'kind', sql<Date>`started_at`.as('started_at')])
      .execute();
    if (runs.length > 0) {
      const newest = new Date(Math.max(...runs.map((r) => r.started_at.getTime())));
      await trx
        .updateTable('nango_replicator.streams')
        .set({ last_error: error })
        .where('id', '=', streamRow.id)
        .where(sql<boolean>`(last_success_at IS NULL OR last_success_at < ${newest})`)
        .execute();
    }
    return runs.map((r) => ({ id: r.id, kind: r.kind, startedAt: r.started_at }));
  });
}
