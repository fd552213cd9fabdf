import { type Kysely, sql } from 'kysely';

/**
 * `runs.status` becomes a closed set, checked by Postgres, with two outcomes besides `succeeded` and `failed`:
 * - `abandoned`: the process running it stopped without finishing it (killed, out of memory, its machine lost).
 *   A run is `running` only while its process holds the stream lock; whoever next finds the lock free (a worker
 *   taking it, or the fleet's periodic sweep) closes such a run as `abandoned`.
 * - `superseded`: it gave way to another run of its stream that moved the cursor first (`stream_taken`); its page
 *   rolled back and the other run carried on.
 * And a partial index on the runs still `running`, which is what the sweep looks for.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const s = db.withSchema('nango_replicator').schema;
  await s
    .alterTable('runs')
    .addCheckConstraint('runs_status_check', sql`status IN ('running', 'succeeded', 'failed', 'abandoned', 'superseded')`)
    .execute();
  await s.createIndex('runs_running').on('runs').column('stream_id').where(sql.ref('status'), '=', 'running').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const s = db.withSchema('nango_replicator').schema;
  await s.dropIndex('runs_running').ifExists().execute();
  await s.alterTable('runs').dropConstraint('runs_status_check').execute();
}
