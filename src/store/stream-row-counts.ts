import { type RawBuilder, sql } from 'kysely';

/**
 * The live (not deleted) rows of the stream aliased `s` in the enclosing query: its counter plus the deltas not
 * folded yet (see row-count-triggers.ts). Exact, and read from the replicator's tables only: no model table is
 * counted. Served by the index on `stream_row_deltas (stream_id)`, a table that holds few rows.
 */
export const liveRowsOf = (alias: string): RawBuilder<number> =>
  sql<number>`(${sql.ref(`${alias}.live_rows`)} + coalesce((SELECT sum(d.live) FROM nango_replicator.stream_row_deltas d
    WHERE d.stream_id = ${sql.ref(`${alias}.id`)}), 0))::float8`;

/** Every row of the stream aliased `s`, soft-deleted ones included; see {@link liveRowsOf}. */
export const totalRowsOf = (alias: string): RawBuilder<number> =>
  sql<number>`(${sql.ref(`${alias}.total_rows`)} + coalesce((SELECT sum(d.total) FROM nango_replicator.stream_row_deltas d
    WHERE d.stream_id = ${sql.ref(`${alias}.id`)}), 0))::float8`;
