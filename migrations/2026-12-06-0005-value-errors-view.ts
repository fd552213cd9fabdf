import { type Kysely, sql } from 'kysely';

/**
 * `nango_replicator.value_errors_view`: the value errors with the stream spelled out (integration, connection,
 * model) instead of `stream_id`, for a data engineer to query directly:
 *
 *   SELECT * FROM nango_replicator.value_errors_view WHERE model = 'GithubIssue' ORDER BY seen_at DESC;
 *
 * Named after the table it shows, so the two sit together in `\d nango_replicator.*`. Its columns use the names
 * of `nango_replicator.streams` (`provider_config_key`, `connection_id`, `model`), which are Nango's own names and
 * join to the model tables' `_nango_provider_config_key` / `_nango_connection_id`; `stream_id` is kept last for
 * joins to `runs`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE VIEW nango_replicator.value_errors_view AS
    SELECT s.provider_config_key, s.connection_id, s.model,
      e.record_id, e.field, e.column_name, e.column_type, e.reason, e.record_cursor, e.seen_at, e.stream_id
    FROM nango_replicator.value_errors e
    JOIN nango_replicator.streams s ON s.id = e.stream_id
  `.execute(db);
  await sql`
    COMMENT ON VIEW nango_replicator.value_errors_view IS
    'Values that did not fit their column (stored as NULL there, intact in _nango_raw), by integration, connection and model'
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP VIEW IF EXISTS nango_replicator.value_errors_view`.execute(db);
}
