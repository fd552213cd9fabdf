import { type Kysely, sql, type Transaction } from 'kysely';
import type { NangoRecord } from '../../src/write/records-page.js';
import { compareCursors } from '../../src/nango/stream-cursor.js';
import { coerceValue } from '../../src/schema/coerce-value.js';
import { stripNul } from '../../src/schema/strip-nul.js';
import type { ReplicatorDatabase } from '../../src/store/replicator-tables.js';
import type { PageResult, WritePageParams as WriterParams } from '../../src/write/write-page.js';

/** The writer's parameters; the reference orders cursors itself. */
type WritePageParams = Omit<WriterParams, 'compareCursors'>;

type Trx = Transaction<ReplicatorDatabase>;

/**
 * The write path as plainly as it can be written, to check the fast one against: one transaction, one record
 * at a time, values converted in JavaScript, every rule spelled out where it applies. Slow on purpose.
 */
export async function writePageReference(db: Kysely<ReplicatorDatabase>, params: WritePageParams): Promise<PageResult> {
  const { page, stream, layout } = params;
  const end = page.endCursor;
  const cursor = end !== null && compareCursors(end, params.expectedCursor) > 0 ? end : params.expectedCursor;
  return db.transaction().execute(async (trx) => {
    const claimed = await sql`
      UPDATE nango_replicator.streams SET cursor = ${cursor}, cursor_updated_at = now(),
        newest_modified_at = GREATEST(newest_modified_at, ${page.records.at(-1)?._nango_metadata.last_modified_at ?? null}::timestamptz)
      WHERE id = ${params.streamId} AND cursor IS NOT DISTINCT FROM ${params.expectedCursor}`.execute(trx);
    if (claimed.numAffectedRows !== 1n) throw new Error('stream taken');

    // The later occurrence of an id wins.
    const latest = new Map<string, NangoRecord>();
    for (const record of page.records) latest.set(record.id, record);

    const result: PageResult = {
      cursor,
      pages: 1,
      records: page.records.length + page.rejected.length,
      upserted: 0,
      deleted: 0,
      valueErrors: 0,
      rejected: page.rejected.length,
      nulRemoved: 0,
      rows: 'any',
    };
    for (const original of latest.values()) {
      const cleaned = stripNul(original);
      result.nulRemoved += cleaned.removed;
      const record = cleaned.value;
      const meta = record._nango_metadata;
      if (params.deletes === 'hard' && meta.deleted_at !== null) {
        const gone = await sql`DELETE FROM ${sql.table(`${layout.schema}.${layout.table}`)}
          WHERE _nango_provider_config_key = ${stream.providerConfigKey} AND _nango_connection_id = ${stream.connectionId}
            AND id = ${record.id} AND _nango_last_modified_at <= ${meta.last_modified_at}::timestamptz`.execute(trx);
        const removed = Number(gone.numAffectedRows ?? 0n);
        // Every row removed leaves a tombstone for the change feed.
        if (removed > 0) {
          await sql`INSERT INTO nango_replicator.deleted_rows (table_schema, table_name, provider_config_key, connection_id, record_id)
            VALUES (${layout.schema}, ${layout.table}, ${stream.providerConfigKey}, ${stream.connectionId}, ${record.id})`.execute(trx);
        }
        result.deleted += removed;
        // A record removed has no values left, so no value errors.
        if (removed > 0) await replaceValueErrors(trx, params, record, []);
        continue;
      }
      const values = typedValues(params, record);
      const outcome = await upsertOne(trx, params, record, values.columns);
      if (outcome === 'skipped') continue;
      result.upserted += 1;
      if (meta.deleted_at !== null) result.deleted += 1;
      // A deleted or pruned version written over a stored row keeps its values, and so their errors.
      const keptValues = outcome === 'updated' && (meta.deleted_at !== null || meta.pruned_at !== null);
      if (!keptValues) {
        await replaceValueErrors(trx, params, record, values.errors);
        result.valueErrors += values.errors.length;
      }
    }
    for (const rejected of page.rejected) {
      await sql`INSERT INTO nango_replicator.dead_letters (stream_id, reason, payload, page_cursor)
        VALUES (${params.streamId}, ${rejected.reason}, ${JSON.stringify(rejected.raw)}, ${params.expectedCursor})`.execute(trx);
    }
    await sql`UPDATE nango_replicator.runs SET pages = pages + 1, records = records + ${result.records},
        upserted = upserted + ${result.upserted}, deleted = deleted + ${result.deleted}, value_errors = value_errors + ${result.valueErrors},
        rejected = rejected + ${result.rejected}, nul_removed = nul_removed + ${result.nulRemoved}
      WHERE id = ${params.runId}`.execute(trx);
    return result;
  });
}

interface ValueErrorRow {
  field: string;
  column: string;
  type: string;
  reason: string;
}

/**
 * Each typed column's value: the payload's value if it fits the column, else NULL and a value error. Pruned and
 * deleted payloads too: their values are stored only when their record is new, and then checked like any other.
 */
function typedValues(params: WritePageParams, record: NangoRecord) {
  const columns = new Map<string, unknown>();
  const errors: ValueErrorRow[] = [];
  for (const column of params.layout.columns) {
    const value = record[column.field];
    if (value === undefined || value === null) {
      columns.set(column.column, null);
    } else if (column.type === 'jsonb') {
      columns.set(column.column, JSON.stringify(value));
    } else {
      const fit = coerceValue(column.type, value);
      columns.set(column.column, fit.ok ? value : null);
      if (!fit.ok) errors.push({ field: column.field, column: column.column, type: column.type, reason: fit.reason });
    }
  }
  return { columns, errors };
}

/** The record's value-error rows become exactly `errors`, which describe the values now stored. */
async function replaceValueErrors(trx: Trx, params: WritePageParams, record: NangoRecord, errors: ReadonlyArray<ValueErrorRow>) {
  await sql`DELETE FROM nango_replicator.value_errors WHERE stream_id = ${params.streamId} AND record_id = ${record.id}`.execute(trx);
  for (const e of errors) {
    await sql`INSERT INTO nango_replicator.value_errors (stream_id, record_id, field, column_name, column_type, reason, record_cursor)
      VALUES (${params.streamId}, ${record.id}, ${e.field}, ${e.column}, ${e.type}, ${e.reason}, ${record._nango_metadata.cursor})`.execute(
      trx,
    );
  }
}

/**
 * Inserts the record, or updates the stored row if it is not newer and the record changed. A deleted or pruned record only updates the
 * `_nango_*` columns, keeping the last known values. Returns what happened to the row.
 */
async function upsertOne(
  trx: Trx,
  params: WritePageParams,
  record: NangoRecord,
  columns: Map<string, unknown>,
): Promise<'inserted' | 'updated' | 'skipped'> {
  const { layout, stream } = params;
  const meta = record._nango_metadata;
  const table = sql.table(`${layout.schema}.${layout.table}`);
  const { _nango_metadata: _, ...payload } = record;
  const typedAndRaw = new Map<string, unknown>([...columns, ['_nango_raw', JSON.stringify(payload)]]);
  const system = new Map<string, unknown>([
    ['_nango_last_action', meta.last_action],
    ['_nango_first_seen_at', meta.first_seen_at],
    ['_nango_last_modified_at', meta.last_modified_at],
    ['_nango_deleted_at', meta.deleted_at],
    ['_nango_pruned_at', meta.pruned_at],
    ['_nango_cursor', meta.cursor],
  ]);
  const key = sql`_nango_provider_config_key = ${stream.providerConfigKey} AND _nango_connection_id = ${stream.connectionId} AND id = ${record.id}`;
  const sameTyped = layout.columns.map((c) => sql`${sql.id(c.column)} IS NOT DISTINCT FROM ${columns.get(c.column)}::${sql.raw(c.type)}`);
  const stored = await sql<{ newer: boolean; same_raw: boolean; same_deleted: boolean; same_pruned: boolean }>`
    SELECT _nango_last_modified_at > ${meta.last_modified_at}::timestamptz AS newer,
      _nango_raw = ${JSON.stringify(payload)}::jsonb AND ${sql.join([sql`true`, ...sameTyped], sql` AND `)} AS same_raw,
      _nango_deleted_at IS NOT DISTINCT FROM ${meta.deleted_at}::timestamptz AS same_deleted,
      _nango_pruned_at IS NOT DISTINCT FROM ${meta.pruned_at}::timestamptz AS same_pruned
    FROM ${table} WHERE ${key} FOR UPDATE`.execute(trx);
  const row = stored.rows[0];
  if (row === undefined) {
    const all = new Map([...typedAndRaw, ...system]);
    await sql`INSERT INTO ${table} (_nango_provider_config_key, _nango_connection_id, id, ${sql.join([...all.keys()].map((c) => sql.id(c)))}, _nango_synced_at, _nango_txid)
      VALUES (${stream.providerConfigKey}, ${stream.connectionId}, ${record.id}, ${sql.join([...all.values()])}, now(), pg_current_xact_id())`.execute(
      trx,
    );
    return 'inserted';
  }
  if (row.newer) return 'skipped';
  const keep = meta.deleted_at !== null || meta.pruned_at !== null;
  // Unchanged is skipped: the same payload and typed values (not compared when the stored values are kept), deletion
  // and pruning.
  if ((keep || row.same_raw) && row.same_deleted && row.same_pruned) return 'skipped';
  const changes = keep ? system : new Map([...typedAndRaw, ...system]);
  await sql`UPDATE ${table} SET ${sql.join([...changes].map(([c, v]) => sql`${sql.id(c)} = ${v}`))}, _nango_synced_at = now(), _nango_txid = pg_current_xact_id() WHERE ${key}`.execute(
    trx,
  );
  return 'updated';
}
