import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import type { RecordsPage } from '../../src/write/records-page.js';
import type { ModelField } from '../../src/schema/model-fields.js';
import { ensureModelTable } from '../../src/store/ensure-model-table.js';
import { ensureStream } from '../../src/store/ensure-stream.js';
import { finishRun, startRun } from '../../src/store/record-run.js';
import type { ReplicatorDatabase } from '../../src/store/replicator-tables.js';
import type { StreamKey } from '../../src/stream/stream-key.js';
import { writePageReference } from './write-page-reference.js';

/** The loop of replicateStream without any of its speed: one page after the other through the reference writer. */
export async function replicateReference(
  deps: { db: Kysely<ReplicatorDatabase>; logger: Logger },
  options: {
    stream: StreamKey;
    schema: string;
    deletes: 'soft' | 'hard';
    fillfactor: number;
    full?: boolean;
    fields: ModelField[] | null;
    pages: RecordsPage[];
  },
): Promise<void> {
  const state = await ensureStream(deps.db, options.stream);
  const layout = await ensureModelTable(deps, {
    schema: options.schema,
    model: options.stream.model,
    fields: options.fields,
    fillfactor: options.fillfactor,
  });
  const runId = await startRun(deps.db, state.id, options.full ? 'full' : 'sync');
  let cursor = state.cursor;
  for (const page of options.pages) {
    const result = await writePageReference(deps.db, {
      stream: options.stream,
      streamId: state.id,
      runId,
      layout,
      deletes: options.deletes,
      page,
      expectedCursor: cursor,
    });
    cursor = result.cursor;
  }
  await finishRun(deps.db, { runId, streamId: state.id });
}

/** Everything a write leaves behind that two paths must agree on (`_nango_synced_at`, transaction ids and ids aside). */
export async function writtenState(db: Kysely<ReplicatorDatabase>) {
  const { rows } = await sql<Record<string, unknown>>`SELECT * FROM nango.ticket ORDER BY id`.execute(db);
  const stream = await db.selectFrom('nango_replicator.streams').select(['cursor', 'newest_modified_at']).executeTakeFirstOrThrow();
  const valueErrors = await db
    .selectFrom('nango_replicator.value_errors')
    .select(['record_id', 'field', 'column_name', 'column_type', 'reason', 'record_cursor'])
    .orderBy('record_id')
    .orderBy('field')
    .execute();
  const deadLetters = await db
    .selectFrom('nango_replicator.dead_letters')
    .select(['reason', 'payload', 'page_cursor'])
    .orderBy('id')
    .execute();
  const runs = await db
    .selectFrom('nango_replicator.runs')
    .select(['kind', 'status', 'pages', 'records', 'upserted', 'deleted', 'value_errors', 'rejected', 'nul_removed'])
    .orderBy('id')
    .execute();
  const tombstones = await sql<Record<string, unknown>>`
    SELECT table_schema, table_name, provider_config_key, connection_id, record_id FROM nango_replicator.deleted_rows ORDER BY record_id, id`.execute(
    db,
  );
  return {
    rows: rows.map(({ _nango_synced_at: _, _nango_txid: _txid, ...row }) => row),
    tombstones: tombstones.rows,
    cursor: stream.cursor,
    newestModifiedAt: stream.newest_modified_at,
    valueErrors,
    deadLetters,
    runs,
  };
}
