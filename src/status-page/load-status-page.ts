import { type Kysely, sql } from 'kysely';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import { streamFilterSql } from '../store/stream-filter.js';
import { type StreamSummary, summarizeStreams } from '../store/summarize-streams.js';
import { loadStatusRows, type StatusRow } from './load-status-rows.js';
import { STATUS_PAGE_SIZE, type StatusPageQuery } from './status-page-query.js';

/** Suggestions offered by the filter form, each list at most this long. */
const MAX_SUGGESTIONS = 200;

/** What one view of the status page shows. */
export interface StatusPageData {
  /** The whole fleet by state (unfiltered, so the summary stays the fleet's). */
  summary: StreamSummary;
  /** Streams matching the query's filter. */
  matching: number;
  /** The page's streams, worst first. */
  rows: StatusRow[];
  suggestions: { integrations: string[]; models: string[] };
}

/**
 * One page of the status page: a handful of aggregate queries and one page of streams, all in SQL. `schema`: the
 * target schema, whose `_nango_connections` says which streams are no longer followed.
 */
export async function loadStatusPage(
  db: Kysely<ReplicatorDatabase>,
  query: StatusPageQuery,
  options: { schema?: string } = {},
): Promise<StatusPageData> {
  const summary = await summarizeStreams(db, {}, options);
  const filtered = Object.keys(query.filter).length > 0;
  const { rows: counted } = filtered
    ? await sql<{ n: number }>`SELECT count(*)::int AS n FROM nango_replicator.streams s WHERE ${streamFilterSql(query.filter)}`.execute(db)
    : { rows: [{ n: summary.total }] };
  const rows = await loadStatusRows(db, {
    filter: query.filter,
    order: 'worst',
    limit: STATUS_PAGE_SIZE,
    offset: (query.page - 1) * STATUS_PAGE_SIZE,
  });
  const distinct = async (column: 'provider_config_key' | 'model') =>
    (await db.selectFrom('nango_replicator.streams').select(column).distinct().orderBy(column).limit(MAX_SUGGESTIONS).execute()).map(
      (r) => (r as Record<string, string>)[column] as string,
    );
  return {
    summary,
    matching: counted[0]?.n ?? 0,
    rows,
    suggestions: { integrations: await distinct('provider_config_key'), models: await distinct('model') },
  };
}
