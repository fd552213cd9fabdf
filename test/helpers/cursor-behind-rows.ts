import pg from 'pg';
import { compareCursors } from '../../src/nango/stream-cursor.js';
import type { RecordSnapshot } from '../../stand-in/record-store.js';
import type { StreamKey } from '../../src/stream/stream-key.js';
import { PROBE_APPLICATION } from './backend-storm.js';

/**
 * Checks, in one snapshot of the database, that the stream's stored cursor is backed by its rows: every record of
 * the (unchanging) source at or before the cursor is stored with its cursor. Returns the records missing (empty:
 * the invariant holds). `table` is the model table, e.g. `nango.ticket`.
 */
export async function recordsMissingBehindCursor(
  url: string,
  stream: StreamKey,
  table: string,
  source: RecordSnapshot[],
): Promise<string[]> {
  const client = new pg.Client({ connectionString: url, application_name: PROBE_APPLICATION });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const streams = await client.query<{ cursor: string | null }>(
      'SELECT cursor FROM nango_replicator.streams WHERE provider_config_key = $1 AND connection_id = $2 AND model = $3',
      [stream.providerConfigKey, stream.connectionId, stream.model],
    );
    const cursor = streams.rows[0]?.cursor ?? null;
    if (cursor === null) return [];
    const rows = await client.query<{ id: string; _nango_cursor: string }>(
      `SELECT id, _nango_cursor FROM ${table} WHERE _nango_connection_id = $1`,
      [stream.connectionId],
    );
    const stored = new Map(rows.rows.map((row) => [row.id, row._nango_cursor]));
    return source
      .filter((record) => compareCursors(record.cursor, cursor) <= 0 && stored.get(record.id) !== record.cursor)
      .map((r) => r.id);
  } finally {
    await client.end();
  }
}
