import { type Kysely, sql } from 'kysely';
import type { RecordStore } from '../stand-in/record-store.js';
import type { ReplicatorDatabase } from '../src/store/replicator-tables.js';

/** The schema the demo writes to, so it never touches a real `nango` schema in the same database. */
export const DEMO_SCHEMA = 'nango_demo';

/** Forgets everything a previous demo run left: its tables, its streams (cursors, runs, errors). */
export async function resetDemo(db: Kysely<ReplicatorDatabase>, integration: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`DROP SCHEMA IF EXISTS ${sql.id(DEMO_SCHEMA)} CASCADE`.execute(trx);
    await trx.deleteFrom('nango_replicator.table_columns').where('table_schema', '=', DEMO_SCHEMA).execute();
    await trx.deleteFrom('nango_replicator.model_tables').where('table_schema', '=', DEMO_SCHEMA).execute();
    await trx.deleteFrom('nango_replicator.streams').where('provider_config_key', '=', integration).execute();
  });
}

interface DemoRow {
  id: string;
  connection: string;
  cursor: string;
  deleted: boolean;
  number: string | null;
  title: string | null;
  state: string | null;
}

/** Lines describing what the demo wrote, per connection, checked record by record against the stand-in. */
export async function describeDemoTables(
  db: Kysely<ReplicatorDatabase>,
  store: RecordStore,
  integration: string,
  model: string,
): Promise<string[]> {
  const { rows } = await sql<DemoRow>`
    SELECT id, _nango_connection_id AS connection, _nango_cursor AS cursor, _nango_deleted_at IS NOT NULL AS deleted,
           number::text AS number, title, state
    FROM ${sql.table(`${DEMO_SCHEMA}.github_issue`)} ORDER BY number`.execute(db);
  const lines: string[] = [];
  for (const connection of new Set(rows.map((r) => r.connection))) {
    const mine = rows.filter((r) => r.connection === connection);
    const source = store.snapshot(integration, connection, model);
    const byId = new Map(mine.map((r) => [r.id, r]));
    const exact =
      mine.length === source.length &&
      source.every((s) => byId.get(s.id)?.cursor === s.cursor && byId.get(s.id)?.deleted === (s.deletedAt !== null));
    const deleted = mine.filter((r) => r.deleted).length;
    lines.push(
      `${DEMO_SCHEMA}.github_issue, connection ${connection}: ${mine.length} rows (${mine.length - deleted} live, ${deleted} soft-deleted); ` +
        `identical to Nango: ${exact ? 'yes' : 'NO'}`,
    );
  }
  const { rows: errors } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM nango_replicator.value_errors v JOIN nango_replicator.streams s ON s.id = v.stream_id
    WHERE s.provider_config_key = ${integration}`.execute(db);
  lines.push(`value errors recorded: ${errors[0]?.n ?? 0}`);
  lines.push('a few rows:');
  for (const row of rows.slice(0, 3)) lines.push(`  #${row.number} [${row.state}] ${row.title}${row.deleted ? ' (deleted)' : ''}`);
  return lines;
}
