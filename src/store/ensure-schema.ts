import { type Kysely, sql } from 'kysely';

/**
 * Creates schema `name` unless it exists. Looks first: `CREATE SCHEMA IF NOT EXISTS` checks the database's CREATE
 * privilege even when the schema is there, so a least-privilege role (README, Security: it owns its two schemas
 * and has no CREATE on the database) could not run it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations and the store pass differently typed Kyselys
export async function ensureSchema(db: Kysely<any>, name: string): Promise<void> {
  const { rows } = await sql<{ found: number }>`SELECT 1 AS found FROM pg_catalog.pg_namespace WHERE nspname = ${name}`.execute(db);
  if (rows.length === 0) await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(name)}`.execute(db);
}
