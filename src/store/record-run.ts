import { type Kysely, sql } from 'kysely';
import type { ReplicatorDatabase } from './replicator-tables.js';

/** Why a run read the stream: an incremental `sync`, a `full` re-read, or a `backfill`. */
export type RunKind = 'sync' | 'full' | 'backfill';

/** Opens a run row (status `running`); its counters grow with each committed page. */
export async function startRun(db: Kysely<ReplicatorDatabase>, streamId: string, kind: RunKind): Promise<string> {
  const run = await db
    .insertInto('nango_replicator.runs')
    .values({ stream_id: streamId, kind, status: 'running' })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db.updateTable('nango_replicator.streams').set({ last_run_started_at: sql<Date>`now()` }).where('id', '=', streamId).execute();
  return run.id;
}

/**
 * Closes a run. Success stamps the stream's `last_success_at` and clears its `last_error`; a failure
 * stores the error (code and message, never a stack) on both the run and the stream, for `status`.
 */
export async function finishRun(
  db: Kysely<ReplicatorDatabase>,
  params: { runId: string; streamId: string; error?: Record<string, unknown> },
): Promise<void> {
  const failed = params.error !== undefined;
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('nango_replicator.runs')
      .set({ status: failed ? 'failed' : 'succeeded', finished_at: sql<Date>`now()`, error: failed ? JSON.stringify(params.error) : null })
      .where('id', '=', params.runId)
      .execute();
    await trx
      .updateTable('nango_replicator.streams')
      .set(failed ? { last_error: JSON.stringify(params.error) } : { last_success_at: sql<Date>`now()`, last_error: null })
      .where('id', '=', params.streamId)
      .execute();
  });
}
