import { type Kysely, sql } from 'kysely';
import type { ReplicatorDatabase } from './replicator-tables.js';

/** Why a run read the stream: an incremental `sync`, a `full` re-read, or a `backfill`. */
export type RunKind = 'sync' | 'full' | 'backfill';

/**
 * The error code of a page whose cursor compare-and-set found another run's cursor (see write-page.ts): this run
 * gave way to that one.
 */
const STREAM_TAKEN = 'stream_taken';

/**
 * Opens a run row (status `running`); its counters grow with each committed page. A `stream_taken` left on the
 * stream (by a version that still stored it) is cleared: a later run of the stream is now running.
 */
export async function startRun(db: Kysely<ReplicatorDatabase>, streamId: string, kind: RunKind): Promise<string> {
  // One transaction, so nobody sees the new run running next to the stale error it clears.
  return db.transaction().execute(async (trx) => {
    const run = await trx
      .insertInto('nango_replicator.runs')
      .values({ stream_id: streamId, kind, status: 'running' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx
      .updateTable('nango_replicator.streams')
      .set({
        last_run_started_at: sql<Date>`now()`,
        last_error: sql`CASE WHEN last_error->>'code' = ${STREAM_TAKEN} THEN NULL ELSE last_error END`,
      })
      .where('id', '=', streamId)
      .execute();
    return run.id;
  });
}

/**
 * Closes a run. Success stamps the stream's `last_success_at` (and `read_to_end_at`, the first time a run read the
 * stream to its end) and clears its `last_error`; a failure
 * stores the error (code and message, never a stack) on both the run and the stream, for `status`.
 * A run that gave way to another (`stream_taken`: the other moved the cursor first, this one's page rolled back)
 * is `superseded`, with the error on the run only: it is not a failure of the stream, whose `status` is the
 * outcome of the run that carried on.
 */
export async function finishRun(
  db: Kysely<ReplicatorDatabase>,
  params: { runId: string; streamId: string; error?: Record<string, unknown>; readToEnd?: boolean },
): Promise<void> {
  const { error } = params;
  const status = error === undefined ? 'succeeded' : error.code === STREAM_TAKEN ? 'superseded' : 'failed';
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('nango_replicator.runs')
      .set({ status, finished_at: sql<Date>`now()`, error: error === undefined ? null : JSON.stringify(error) })
      .where('id', '=', params.runId)
      .execute();
    if (status === 'superseded') return;
    await trx
      .updateTable('nango_replicator.streams')
      .set(
        error !== undefined
          ? { last_error: JSON.stringify(error) }
          : {
              last_success_at: sql<Date>`now()`,
              last_error: null,
              ...(params.readToEnd === true ? { read_to_end_at: sql<Date>`COALESCE(read_to_end_at, now())` } : {}),
            },
      )
      .where('id', '=', params.streamId)
      .execute();
  });
}
