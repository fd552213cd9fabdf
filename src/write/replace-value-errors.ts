import { type RawBuilder, sql } from 'kysely';
import type { ValueError } from './prepare-page.js';

/** What the value-error part of a page's upsert needs. */
export interface ValueErrorParams {
  streamId: string;
  providerConfigKey: string;
  connectionId: string;
  /** The stream's sync variant (`base` for a sync without variants): part of a row's key. */
  variant: string;
  /** The page's value errors, at most one per (record, field). */
  valueErrors: ReadonlyArray<ValueError>;
  /** Soft-deleted or pruned records among them (see `PreparedPage.keptWithErrors`). */
  keptWithErrors: ReadonlyArray<string>;
}

/**
 * The common table expressions that make `nango_replicator.value_errors` describe the rows the page wrote, to be
 * placed after a CTE `written(id, took)` (the records actually written, newer-wins; `took`: the row took the
 * version's values, i.e. it is neither deleted nor pruned). `count` is the number of error rows the page wrote.
 *
 * - A version whose values were taken replaces its record's error rows with exactly its own (none if all fit).
 * - A deleted or pruned version keeps the stored values, so it keeps their errors; a deleted or pruned version that
 *   is the first of its record to be stored brings its own (`existed` is read in the statement's snapshot, before the
 *   insert). A version not written (an older one) changes nothing.
 * - Clean pages of a stream without error rows pay one index probe: the EXISTS guard is evaluated once, and the
 *   delete's join is not run when it is false. Only records of the page are touched, and two pages in flight never
 *   share a record, so their deletes never meet.
 *
 * The delete and the insert touch disjoint keys (a key the page reports is never deleted), as two data-modifying
 * CTEs of one statement must.
 */
export function replaceValueErrors(
  table: RawBuilder<unknown>,
  params: ValueErrorParams,
): { ctes: RawBuilder<unknown>; count: RawBuilder<unknown> } {
  const stream = sql`${params.streamId}::bigint`;
  const anyErrorRow = sql`EXISTS (SELECT 1 FROM nango_replicator.value_errors WHERE stream_id = ${stream})`;
  const clear = (keep: RawBuilder<unknown>) => sql`cleared AS (
      DELETE FROM nango_replicator.value_errors v USING written w
      WHERE w.took AND v.stream_id = ${stream} AND v.record_id = w.id AND ${anyErrorRow}${keep}
    )`;
  if (params.valueErrors.length === 0) return { ctes: clear(sql``), count: sql`0` };

  const firstOnly =
    params.keptWithErrors.length === 0
      ? sql``
      : sql`WHERE e.record_id NOT IN (
          SELECT id FROM ${table} WHERE _nango_provider_config_key = ${params.providerConfigKey}
            AND _nango_connection_id = ${params.connectionId} AND _nango_variant = ${params.variant}
            AND id = ANY(${params.keptWithErrors}::text[]))`;
  const ctes = sql`found AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(params.valueErrors)}::jsonb)
        AS e(record_id text, field text, column_name text, column_type text, reason text, record_cursor text)
    ),
    noted AS (
      INSERT INTO nango_replicator.value_errors AS v (stream_id, record_id, field, column_name, column_type, reason, record_cursor)
      SELECT ${stream}, e.record_id, e.field, e.column_name, e.column_type, e.reason, e.record_cursor
      FROM found e JOIN written w ON w.id = e.record_id
      ${firstOnly}
      ON CONFLICT (stream_id, record_id, field) DO UPDATE SET column_name = EXCLUDED.column_name,
        column_type = EXCLUDED.column_type, reason = EXCLUDED.reason, record_cursor = EXCLUDED.record_cursor, seen_at = now()
      RETURNING 1
    ),
    ${clear(sql` AND NOT EXISTS (SELECT 1 FROM found e WHERE e.record_id = v.record_id AND e.field = v.field)`)}`;
  return { ctes, count: sql`(SELECT count(*) FROM noted)` };
}
