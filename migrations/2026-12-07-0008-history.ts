import { type Kysely, sql } from 'kysely';

/**
 * History mode (`target.history: true`): `model_tables.history_table` names a model table's `<table>_history`, and
 * `history_since` is when it began (its first versions are the rows as they stood then). NULL: history is off.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE nango_replicator.model_tables ADD COLUMN history_table text, ADD COLUMN history_since timestamptz`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE nango_replicator.model_tables DROP COLUMN history_table, DROP COLUMN history_since`.execute(db);
}
