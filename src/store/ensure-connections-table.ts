import { ensureSchema } from './ensure-schema.js';
import { type Kysely, sql } from 'kysely';
import type { ReplicatorDatabase } from './replicator-tables.js';

/**
 * The table of Nango connections in the target schema. No model table can take this name: model names start with an
 * upper-case letter, so their tables start with a letter, never with `_`.
 */
export const CONNECTIONS_TABLE = '_nango_connections';

/** What each column holds, as `COMMENT ON COLUMN` (read by `\d+` and by `dbt-sources`). */
const COLUMN_COMMENTS: Readonly<Record<string, string>> = {
  provider_config_key: 'Integration unique key in Nango (providerConfigKey); part of the primary key',
  connection_id: 'Nango connection id; part of the primary key',
  provider: 'The provider, e.g. github',
  tags: 'The connection tags as Nango lists them (keys lower-case), e.g. end_user_id, end_user_email',
  metadata: 'The connection metadata your app set (setMetadata, updateMetadata); NULL when empty',
  end_user: "Nango's (deprecated) end user: id, display_name, email, tags, organization",
  errors: 'Errors Nango reports for the connection: [{type: auth | sync, log_id}]',
  created: 'When the connection was created in Nango',
  first_seen_at: 'When discovery first listed the connection',
  last_seen_at: 'When discovery last listed the connection (to the hour)',
  missing_since: 'The latest listing did not show the connection; missing from the next one too, it is deleted',
  deleted_at: 'When the connection was found deleted in Nango (missing from two listings in a row)',
};

/**
 * Creates `<schema>._nango_connections` if it is missing: one row per connection of every followed integration, as
 * `GET /connections` lists it (REFERENCE 10.3), with when the replicator first and last saw it, since when the latest
 * listing missed it (`missing_since`) and when it was found deleted (`deleted_at`: missing from two consecutive
 * listings). Runs under the schema's DDL lock, like the model tables' creation.
 */
export async function ensureConnectionsTable(db: Kysely<ReplicatorDatabase>, schema: string): Promise<void> {
  // Once it exists (every pass but the first), one catalog read and no DDL.
  if (await exists(db, schema)) return;
  await db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`nango-replicator:ddl:${schema}`}))`.execute(trx);
    await ensureSchema(trx, schema);
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
    for (const [column, text] of Object.entries(COLUMN_COMMENTS)) {
      await sql`COMMENT ON COLUMN ${sql.id(schema, CONNECTIONS_TABLE, column)} IS ${sql.lit(text)}`.execute(trx);
    }
  });
}

async function exists(db: Kysely<ReplicatorDatabase>, schema: string): Promise<boolean> {
  const name = `${quoteIdent(schema)}.${quoteIdent(CONNECTIONS_TABLE)}`;
  const { rows } = await sql<{ found: boolean }>`SELECT to_regclass(${name}) IS NOT NULL AS found`.execute(db);
  return rows[0]?.found === true;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
