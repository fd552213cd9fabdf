import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { NangoConnection } from '../nango/list-connections.js';
import { CONNECTIONS_TABLE, ensureConnectionsTable } from './ensure-connections-table.js';
import type { ReplicatorDatabase } from './replicator-tables.js';
import { softDeleteConnectionRows } from './soft-delete-connection-rows.js';

/** `last_seen_at` of a connection whose values did not change is moved forward at most this often. */
export const LAST_SEEN_PRECISION_MS = 3_600_000;

/** A connection as a key: integration and connection id. */
export interface ConnectionKey {
  providerConfigKey: string;
  connectionId: string;
}

/** What one listing changed in `_nango_connections`, and what discovery must know about the connections. */
export interface ConnectionsRefresh {
  /** Rows added (connections seen for the first time). */
  added: number;
  /** Rows whose values changed, or that came back after a miss or a deletion. */
  updated: number;
  /**
   * Connections this listing missed for the first time; not yet gone (offset paging can skip a connection), so they
   * stay followed until a second listing in a row misses them. Provider included, as discovery needs it.
   */
  missing: NangoConnection[];
  /** Connections found deleted by this listing (missed twice in a row). */
  deleted: ConnectionKey[];
  /** Every connection of the listed integrations marked deleted, this time or before: not to be synced. */
  gone: ConnectionKey[];
  /** Rows soft-deleted in the model tables (`onConnectionDeleted: soft-delete`). */
  rowsSoftDeleted: number;
}

/**
 * Brings `<schema>._nango_connections` in line with one complete listing of `integrations`' connections: new ones are
 * added, rows whose values differ (tags, metadata, end_user, errors, provider, created; compared by value, since
 * Nango's `updated_at` does not move on metadata changes, REFERENCE 10.3) are rewritten, others are left alone except
 * `last_seen_at`, moved at most every {@link LAST_SEEN_PRECISION_MS}. A connection of these integrations that the
 * listing misses gets `missing_since`; missed by the next listing too, it gets `deleted_at`, and with
 * `onConnectionDeleted: 'soft-delete'` its rows in the model tables are soft-deleted in the same transaction. A
 * connection listed again loses both marks. Concurrent refreshes of a schema take turns.
 */
export async function refreshConnectionsTable(
  deps: { db: Kysely<ReplicatorDatabase>; logger: Logger },
  params: {
    schema: string;
    integrations: ReadonlyArray<string>;
    connections: ReadonlyArray<NangoConnection>;
    onConnectionDeleted: 'keep' | 'soft-delete';
  },
): Promise<ConnectionsRefresh> {
  const { schema } = params;
  await ensureConnectionsTable(deps.db, schema);
  const table = sql.id(schema, CONNECTIONS_TABLE);
  const integrations = [...params.integrations];
  const listed = params.connections.filter((c) => integrations.includes(c.provider_config_key)).map(listedRow);
  return deps.db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`nango-replicator:connections:${schema}`}))`.execute(trx);
    const written = await writeListed(trx, table, listed);
    const { deleted, missing, gone } = await markUnlisted(trx, table, integrations, listed);
    let rowsSoftDeleted = 0;
    for (const connection of deleted) {
      const rows = params.onConnectionDeleted === 'soft-delete' ? await softDeleteConnectionRows(trx, { schema, ...connection }) : 0;
      rowsSoftDeleted += rows;
      const { providerConfigKey: integration, connectionId } = connection;
      deps.logger.warn(
        { integration, connection: connectionId, onConnectionDeleted: params.onConnectionDeleted, rowsSoftDeleted: rows },
        params.onConnectionDeleted === 'soft-delete'
          ? 'connection deleted in Nango (missing from two listings in a row): its streams stop and its rows are soft-deleted'
          : 'connection deleted in Nango (missing from two listings in a row): its streams stop, its rows stay',
      );
    }
    return { ...written, missing, deleted, gone, rowsSoftDeleted };
  });
}

type Trx = Transaction<ReplicatorDatabase>;
type ListedRow = ReturnType<typeof listedRow>;

const LAST_SEEN_PRECISION = sql`${`${LAST_SEEN_PRECISION_MS} milliseconds`}::interval`;

/**
 * Inserts new connections and rewrites the rows whose values differ from the listing (or that were missing, deleted,
 * or last seen longer ago than the precision); the others are not touched, not even locked.
 */
async function writeListed(trx: Trx, table: RawBuilder<unknown>, listed: ListedRow[]): Promise<{ added: number; updated: number }> {
  const { rows } = await sql<{ inserted: boolean }>`
    INSERT INTO ${table} AS t
      (provider_config_key, connection_id, provider, tags, metadata, end_user, errors, created, first_seen_at, last_seen_at)
    SELECT DISTINCT ON (l.provider_config_key, l.connection_id)
      l.provider_config_key, l.connection_id, l.provider, l.tags, l.metadata, l.end_user, l.errors, l.created, now(), now()
    FROM jsonb_to_recordset(${JSON.stringify(listed)}::jsonb) AS l(provider_config_key text, connection_id text,
      provider text, tags jsonb, metadata jsonb, end_user jsonb, errors jsonb, created timestamptz)
    -- Unchanged rows are left out before the upsert, which would lock them (a page write) even when it skips them.
    WHERE NOT EXISTS (
      SELECT 1 FROM ${table} s
      WHERE s.provider_config_key = l.provider_config_key AND s.connection_id = l.connection_id
        AND (s.provider, s.tags, s.metadata, s.end_user, s.errors, s.created)
            IS NOT DISTINCT FROM (l.provider, l.tags, l.metadata, l.end_user, l.errors, l.created)
        AND s.missing_since IS NULL AND s.deleted_at IS NULL AND s.last_seen_at >= now() - ${LAST_SEEN_PRECISION})
    ORDER BY l.provider_config_key, l.connection_id
    ON CONFLICT (provider_config_key, connection_id) DO UPDATE SET
      provider = EXCLUDED.provider, tags = EXCLUDED.tags, metadata = EXCLUDED.metadata, end_user = EXCLUDED.end_user,
      errors = EXCLUDED.errors, created = EXCLUDED.created, last_seen_at = EXCLUDED.last_seen_at,
      missing_since = NULL, deleted_at = NULL
    WHERE (t.provider, t.tags, t.metadata, t.end_user, t.errors, t.created)
            IS DISTINCT FROM (EXCLUDED.provider, EXCLUDED.tags, EXCLUDED.metadata, EXCLUDED.end_user, EXCLUDED.errors, EXCLUDED.created)
       OR t.missing_since IS NOT NULL OR t.deleted_at IS NOT NULL
       OR t.last_seen_at < EXCLUDED.last_seen_at - ${LAST_SEEN_PRECISION}
    RETURNING (xmax = 0) AS inserted`.execute(trx);
  const added = rows.filter((r) => r.inserted).length;
  return { added, updated: rows.length - added };
}

/**
 * Marks the connections of `integrations` the listing missed: `deleted_at` for those already missing, then
 * `missing_since` for the others. Returns those just found deleted, and every one still marked missing or deleted.
 */
async function markUnlisted(
  trx: Trx,
  table: RawBuilder<unknown>,
  integrations: string[],
  listed: ListedRow[],
): Promise<Pick<ConnectionsRefresh, 'deleted' | 'missing' | 'gone'>> {
  const keys = sql`(SELECT * FROM unnest(${listed.map((c) => c.provider_config_key)}::text[],
    ${listed.map((c) => c.connection_id)}::text[]) AS k(provider_config_key, connection_id))`;
  const notListed = sql`provider_config_key = ANY(${integrations}::text[]) AND deleted_at IS NULL
    AND (provider_config_key, connection_id) NOT IN ${keys}`;
  const { rows: deleted } = await sql<ConnectionKey>`
    UPDATE ${table} SET deleted_at = now() WHERE ${notListed} AND missing_since IS NOT NULL
    RETURNING provider_config_key AS "providerConfigKey", connection_id AS "connectionId"`.execute(trx);
  await sql`UPDATE ${table} SET missing_since = now() WHERE ${notListed} AND missing_since IS NULL`.execute(trx);
  const { rows: marked } = await sql<{ provider_config_key: string; connection_id: string; provider: string | null; deleted: boolean }>`
    SELECT provider_config_key, connection_id, provider, deleted_at IS NOT NULL AS deleted FROM ${table}
    WHERE provider_config_key = ANY(${integrations}::text[]) AND (missing_since IS NOT NULL OR deleted_at IS NOT NULL)
    ORDER BY provider_config_key, connection_id`.execute(trx);
  return {
    deleted,
    missing: marked
      .filter((m) => !m.deleted)
      .map((m) => ({ provider_config_key: m.provider_config_key, connection_id: m.connection_id, provider: m.provider ?? undefined })),
    gone: marked.filter((m) => m.deleted).map((m) => ({ providerConfigKey: m.provider_config_key, connectionId: m.connection_id })),
  };
}

/** The row a listed connection should have; absent fields as SQL NULL. */
function listedRow(c: NangoConnection) {
  return {
    provider_config_key: c.provider_config_key,
    connection_id: c.connection_id,
    provider: c.provider ?? null,
    tags: c.tags ?? null,
    metadata: c.metadata ?? null,
    end_user: c.end_user ?? null,
    errors: c.errors ?? null,
    created: c.created ?? null,
  };
}
