import { type Kysely, sql } from 'kysely';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';

/** Hours shown by the sparkline. */
export const SPARKLINE_HOURS = 24;

/**
 * Records read per hour over the last 24 hours for the streams given (a page's), from `nango_replicator.runs`: a map from
 * stream id to 24 counts, oldest first; the last entry is the latest 60 minutes (rolling hours on the
 * database clock, not clock hours). A run counts in the hour it finished (a running one: the hour it
 * started); runs are bounded slices, so this blurs little. Streams without runs in the period are absent.
 *
 * Query: for each stream, the index runs_stream_started (stream_id, started_at) finds its recent runs;
 * runs started over 48 h ago are not looked at (a slice never runs for a day).
 */
export async function loadHourlyRecords(db: Kysely<ReplicatorDatabase>, streamIds: ReadonlyArray<string>): Promise<Map<string, number[]>> {
  if (streamIds.length === 0) return new Map();
  const { rows } = await sql<{ stream_id: string; bucket: number; records: number }>`
    SELECT s.id AS stream_id, h.bucket, h.records
    FROM nango_replicator.streams s
    CROSS JOIN LATERAL (
      SELECT (${SPARKLINE_HOURS - 1} - floor(extract(epoch FROM now() - coalesce(r.finished_at, r.started_at)) / 3600))::int AS bucket,
             sum(r.records)::int AS records
      FROM nango_replicator.runs r
      WHERE r.stream_id = s.id
        AND r.started_at > now() - interval '48 hours'
        AND coalesce(r.finished_at, r.started_at) > now() - make_interval(hours => ${SPARKLINE_HOURS})
      GROUP BY 1
    ) h
    WHERE s.id = ANY(${[...streamIds]}::bigint[])`.execute(db);
  const byStream = new Map<string, number[]>();
  for (const row of rows) {
    const hours = byStream.get(row.stream_id) ?? new Array<number>(SPARKLINE_HOURS).fill(0);
    // A run finished "in the future" (clock step) lands in the latest hour rather than off the end.
    const hour = Math.min(SPARKLINE_HOURS - 1, Math.max(0, row.bucket));
    hours[hour] = (hours[hour] ?? 0) + row.records;
    byStream.set(row.stream_id, hours);
  }
  return byStream;
}
