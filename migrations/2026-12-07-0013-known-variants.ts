import { type Kysely, sql } from 'kysely';

/**
 * The sync variants the replicator knows (issue 20, docs/nango-api.md 10.2): only `GET /sync/status` lists them, and a
 * webhook announces a variant's first changes. One row per (integration, connection, sync, variant) other than
 * `base`: `models` the base models Nango reported for it (the keys of its `recordCount` and `latestResult`),
 * `gone_at` set when a complete listing of its integration no longer had it (a variant deleted in Nango keeps its
 * records readable and emits no tombstones: its stream stops, its rows stay), cleared when it is listed again.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE nango_replicator.sync_variants (
    provider_config_key text NOT NULL,
    connection_id text NOT NULL,
    sync_name text NOT NULL,
    variant text NOT NULL,
    models text[] NOT NULL DEFAULT '{}',
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    gone_at timestamptz,
    PRIMARY KEY (provider_config_key, connection_id, sync_name, variant))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE nango_replicator.sync_variants`.execute(db);
}
