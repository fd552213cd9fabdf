import { type Kysely, sql } from 'kysely';
import { notifyChanges } from './notify-changes.js';
import { historyCtes } from './history-statements.js';
import { tombstones, wholeRow } from './page-statements.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import type { StreamKey } from '../stream/stream-key.js';
import type { TableLayout } from '../store/table-layout.js';

export interface DeleteUnseenParams {
  layout: TableLayout;
  stream: StreamKey;
  /**
   * Database time at which the full pass started: every row the pass wrote has `_nango_synced_at` after it; the
   * rows it read unchanged (and did not write) are in `nango_replicator.pass_records`.
   */
  passStartedAt: Date;
  deletes: 'soft' | 'hard';
  /** Refuse when more than this fraction of the stream's live rows would go (0..1). */
  maxDeleteFraction: number;
  /** Delete even above `maxDeleteFraction`. */
  force: boolean;
}

/** What the end of a `replace` pass did. */
export type DeleteUnseenResult =
  { refused: false; deleted: number; liveRows: number } | { refused: true; wouldDelete: number; liveRows: number; reason: string };

/**
 * The end of a `replace` backfill: rows of the stream that the full pass did not see (Nango dropped them
 * without a tombstone: an emptyCache re-sync, the 60-day cleanup) are soft- or hard-deleted (a row removed takes its
 * value errors with it). Soft deletes are row updates in the change feed; hard ones leave tombstones in
 * `nango_replicator.deleted_rows`; a notification on `nango_replicator_changes` follows the commit.
 *
 * A circuit breaker refuses to remove more than `maxDeleteFraction` of the live rows unless forced: a
 * pass that saw far fewer records than are stored more likely read the wrong thing than lost them.
 * Count and delete happen in one transaction, so the decision holds for the rows actually deleted.
 */
export async function deleteUnseenRows(db: Kysely<ReplicatorDatabase>, params: DeleteUnseenParams): Promise<DeleteUnseenResult> {
  const { layout, stream } = params;
  const table = sql.table(`${layout.schema}.${layout.table}`);
  // The stream's rows only: the model's other variants share the table, and their ids may be the same.
  const ofStream = sql`_nango_provider_config_key = ${stream.providerConfigKey} AND _nango_connection_id = ${stream.connectionId}
    AND _nango_variant = ${stream.variant}`;
  const streamId = sql`(SELECT id FROM nango_replicator.streams
    WHERE provider_config_key = ${stream.providerConfigKey} AND connection_id = ${stream.connectionId} AND model = ${stream.model}
      AND variant = ${stream.variant})`;
  // Not written since the pass started, and not read by it unchanged either.
  const unseen = sql`_nango_deleted_at IS NULL AND _nango_synced_at < ${params.passStartedAt}
    AND NOT EXISTS (SELECT 1 FROM nango_replicator.pass_records p WHERE p.stream_id = ${streamId} AND p.record_id = t.id)`;

  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ live: number; unseen: number }>`
      SELECT count(*)::int AS live, count(*) FILTER (WHERE ${unseen})::int AS unseen
      FROM ${table} AS t WHERE ${ofStream} AND _nango_deleted_at IS NULL`.execute(trx);
    const liveRows = rows[0]?.live ?? 0;
    const wouldDelete = rows[0]?.unseen ?? 0;
    if (wouldDelete === 0) {
      await clearPassRecords(trx, stream);
      return { refused: false, deleted: 0, liveRows };
    }
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
    if (params.deletes === 'hard') {
      // A record removed has no values left, so its value errors go with it.
      const removed = await sql<{ deleted: number }>`
        WITH gone AS (DELETE FROM ${table} AS t WHERE ${ofStream} AND ${unseen} RETURNING id ${wholeRow(layout)}),
        cleared AS (
          DELETE FROM nango_replicator.value_errors v USING gone g, nango_replicator.streams s
          WHERE s.provider_config_key = ${stream.providerConfigKey} AND s.connection_id = ${stream.connectionId}
            AND s.model = ${stream.model} AND s.variant = ${stream.variant} AND v.stream_id = s.id AND v.record_id = g.id
        ),
        ${tombstones(layout, stream, sql`gone`)}
        ${historyCtes(layout, stream, { source: 'gone', deleted: sql`true`, historic: sql`true` })}
        SELECT count(*)::int AS deleted FROM gone`.execute(trx);
      const deleted = removed.rows[0]?.deleted ?? 0;
      await notifyChanges(trx, { ...layout, stream, count: deleted });
      await clearPassRecords(trx, stream);
      return { refused: false, deleted, liveRows };
    }
    // A soft-deleted row keeps its values, and so their value errors.
    const result = await sql<{ deleted: number }>`
      WITH marked AS (
        UPDATE ${table} AS t SET _nango_deleted_at = now(), _nango_last_action = 'DELETED', _nango_synced_at = now(),
          _nango_txid = pg_current_xact_id()
        WHERE ${ofStream} AND ${unseen}
        RETURNING id ${wholeRow(layout)}
      )
      ${historyCtes(layout, stream, { source: 'marked', deleted: sql`true`, historic: sql`true` })}
      SELECT count(*)::int AS deleted FROM marked`.execute(trx);
    const deleted = result.rows[0]?.deleted ?? 0;
    await notifyChanges(trx, { ...layout, stream, count: deleted });
    await clearPassRecords(trx, stream);
    return { refused: false, deleted, liveRows };
  });
}

/**
 * Forgets the ids a `replace` pass of the stream noted (`nango_replicator.pass_records`): when a new pass starts from
 * the beginning, and once a pass has deleted what it did not see.
 */
export async function clearPassRecords(db: Kysely<ReplicatorDatabase>, stream: StreamKey): Promise<void> {
  await sql`DELETE FROM nango_replicator.pass_records p USING nango_replicator.streams s
    WHERE s.provider_config_key = ${stream.providerConfigKey} AND s.connection_id = ${stream.connectionId}
      AND s.model = ${stream.model} AND s.variant = ${stream.variant} AND p.stream_id = s.id`.execute(db);
}
