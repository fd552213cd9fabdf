import { type Kysely, sql } from 'kysely';
import type { ReplicatorDatabase } from './replicator-tables.js';

/**
 * The table of Nango connections in the target schema. No model table can take this name: model names start with an
 * upper-case letter, so their tables start with a letter, never with `_`.
 */
export const CONNECTIONS_TABLE = '_nango_connections';

/**
 * Creates `<schema>._nango_connections` if it is missing: one row per connection of every followed integration, as
 * `GET /connections` lists it (REFERENCE 10.3), with when the replicator first and last saw it, since when the latest
 * listing missed it (`missing_since`) and when it was found deleted (`deleted_at`: missing from two consecutive
 * listings). Runs under the schema's DDL lock, like the model tables' creation.
 */
export async function ensureConnectionsTable(db: Kysely<ReplicatorDatabase>, schema: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`nango-replicator:ddl:${schema}`}))`.execute(trx);
    await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(schema)}`.execute(trx);
    const table = sql.id(schema, CONNECTIONS_TABLE);
    await sql`
      CREATE TABLE IF NOT EXISTS ${table} (
        provider_config_key text NOT NULL,
        connection_id text NOT NULL,
        provider text,
        tags jsonb,
        metadata jsonb,
        end_user jsonb,
        errors jsonb,
        created timestamptz,
        first_seen_at timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL,
        missing_since timestamptz,
        deleted_at timestamptz,
        PRIMARY KEY (provider_config_key, connection_id)
      )`.execute(trx);
    const comment =
      'Nango connections of the followed integrations, kept by nango-replicator; deleted_at: missing from two consecutive listings';
    await sql`COMMENT ON TABLE ${table} IS ${sql.lit(comment)}`.execute(trx);
  });
}
