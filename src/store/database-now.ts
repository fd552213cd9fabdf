import { type Kysely, sql } from 'kysely';
import type { ReplicatorDatabase } from './replicator-tables.js';

/** The database's clock, the one `now()` stamps rows with (never the process's clock). */
export async function databaseNow(db: Kysely<ReplicatorDatabase>): Promise<Date> {
  const { rows } = await sql<{ now: Date }>`SELECT now() AS now`.execute(db);
  const now = rows[0]?.now;
  if (now === undefined) throw new Error('SELECT now() returned no row');
  return now;
}
