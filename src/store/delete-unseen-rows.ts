import { type Kysely, sql } from 'kysely';
import type { ReplicatorDatabase } from './replicator-tables.js';
import type { StreamKey } from './stream-key.js';
import type { TableLayout } from './table-layout.js';

export interface DeleteUnseenParams {
  layout: TableLayout;
  stream: StreamKey;
  /** Database time at which the full pass started: every row the pass wrote has `_nango_synced_at` after it. */
  passStartedAt: Date;
  deletes: 'soft' | 'hard';
  /** Refuse when more than this fraction of the stream's live rows would go (0..1). */
  maxDeleteFraction: number;
  /** Delete even above `maxDeleteFraction`. */
  force: boolean;
}

/** What the end of a `replace` pass did. */
export type DeleteUnseenResult =
  | { refused: false; deleted: number; liveRows: number }
  | { refused: true; wouldDelete: number; liveRows: number; reason: string };

/**
 * The end of a `replace` backfill: rows of the stream that the full pass did not see (Nango dropped them
 * without a tombstone: an emptyCache re-sync, the 60-day cleanup) are soft- or hard-deleted.
 *
 * A circuit breaker refuses to remove more than `maxDeleteFraction` of the live rows unless forced: a
 * pass that saw far fewer records than are stored more likely read the wrong thing than lost them.
 * Count and delete happen in one transaction, so the decision holds for the rows actually deleted.
 */
export async function deleteUnseenRows(db: Kysely<ReplicatorDatabase>, params: DeleteUnseenParams): Promise<DeleteUnseenResult> {
  const { layout, stream } = params;
  const table = sql.table(`${layout.schema}.${layout.table}`);
  const ofStream = sql`_nango_provider_config_key = ${stream.providerConfigKey} AND _nango_connection_id = ${stream.connectionId}`;
  const unseen = sql`_nango_deleted_at IS NULL AND _nango_synced_at < ${params.passStartedAt}`;

  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ live: number; unseen: number }>`
      SELECT count(*)::int AS live, count(*) FILTER (WHERE ${unseen})::int AS unseen
      FROM ${table} WHERE ${ofStream} AND _nango_deleted_at IS NULL`.execute(trx);
    const liveRows = rows[0]?.live ?? 0;
    const wouldDelete = rows[0]?.unseen ?? 0;
    if (wouldDelete === 0) return { refused: false, deleted: 0, liveRows };
    if (!params.force && wouldDelete > liveRows * params.maxDeleteFraction) {
      const percent = Math.round((wouldDelete / liveRows) * 100);
      return {
        refused: true,
        wouldDelete,
        liveRows,
        reason:
          `refused to delete ${wouldDelete} of ${liveRows} rows (${percent}%, above the ${Math.round(params.maxDeleteFraction * 100)}% limit) ` +
          'that the full pass did not see; check the source, then re-send the backfill with "force": true',
      };
    }
    const result =
      params.deletes === 'hard'
        ? await sql`DELETE FROM ${table} WHERE ${ofStream} AND ${unseen}`.execute(trx)
        : await sql`
            UPDATE ${table} SET _nango_deleted_at = now(), _nango_last_action = 'DELETED', _nango_synced_at = now()
            WHERE ${ofStream} AND ${unseen}`.execute(trx);
    return { refused: false, deleted: Number(result.numAffectedRows ?? 0n), liveRows };
  });
}
