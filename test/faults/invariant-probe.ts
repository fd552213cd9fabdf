import { type Kysely, sql } from 'kysely';
import { compareCursors } from '../../src/nango/stream-cursor.js';
import type { NangoStandIn } from '../../stand-in/nango-stand-in.js';
import type { ReplicatorDatabase } from '../../src/store/replicator-tables.js';
import { type FaultStream, modelTable, type StoredRow, streamRows } from './stream-rows.js';

/** A stream whose stored cursor is ahead of the rows that back it. */
export interface CursorAhead {
  stream: FaultStream;
  cursor: string;
  /** The first source record at or before the cursor that the table lacks, or holds in another version. */
  recordId: string;
  reason: string;
}

/**
 * The cursor invariant, checked in one snapshot: for every stream with a stored cursor, each record the source holds
 * at or before that cursor (a record that has not changed since the cursor passed it) is in the model table in that
 * very version (same `_nango_cursor`, same deleted state). The database is read first, in one REPEATABLE READ
 * transaction; the source is read after it: a record changed in between has a position after every cursor issued
 * before, so it is never wrongly expected.
 */
export async function probeCursors(db: Kysely<ReplicatorDatabase>, standIn: NangoStandIn): Promise<CursorAhead[]> {
  const snapshot = await db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const { rows: migrated } = await sql<{ ok: boolean }>`SELECT to_regclass('nango_replicator.streams') IS NOT NULL AS ok`.execute(trx);
      if (migrated[0]?.ok !== true) return []; // no process has migrated this database yet
      const streams = await trx
        .selectFrom('nango_replicator.streams')
        .select(['provider_config_key', 'connection_id', 'model', 'cursor'])
        .where('cursor', 'is not', null)
        .execute();
      const read: Array<{ stream: FaultStream; cursor: string; rows: Map<string, StoredRow> | null }> = [];
      for (const s of streams) {
        const stream = { providerConfigKey: s.provider_config_key, connectionId: s.connection_id, model: s.model };
        const table = await modelTable(trx, s.model);
        read.push({ stream, cursor: s.cursor as string, rows: table === null ? null : await streamRows(trx, table, stream, false) });
      }
      return read;
    });
  const ahead: CursorAhead[] = [];
  for (const { stream, cursor, rows } of snapshot) {
    let source;
    try {
      source = standIn.store.snapshot(stream.providerConfigKey, stream.connectionId, stream.model);
    } catch {
      continue; // a connection the scenario removed from the source: nothing to compare with
    }
    for (const record of source) {
      if (compareCursors(record.cursor, cursor) > 0) break; // ordered by stream position
      const row = rows?.get(record.id);
      const reason =
        row === undefined
          ? 'missing'
          : row.cursor !== record.cursor
            ? 'older version'
            : row.deleted !== (record.deletedAt !== null)
              ? 'deleted state differs'
              : null;
      if (reason !== null) {
        ahead.push({ stream, cursor, recordId: record.id, reason });
        break;
      }
    }
  }
  return ahead;
}
