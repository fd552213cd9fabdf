import type { StreamKey } from '../../stream/stream-key.js';
import type { BackfillStreamReport } from './process-backfill-stream-job.js';
import { streamOfBackfillJobKey } from './backfill-stream-job-data.js';

/** Per-stream entries kept in a summary; beyond this only the totals grow (a summary is stored in Redis). */
export const MAX_LISTED_STREAMS = 1000;

/** What a whole backfill did: the BullMQ return value of a completed `backfill` job. */
export interface BackfillSummary {
  /** Streams the message covered, one child job each. */
  streams: number;
  merged: number;
  replaced: number;
  /** Replace passes whose deletes the circuit breaker refused: see `reports[].reason`. */
  refused: number;
  /** Streams whose job failed for good: see `failures`. */
  failed: number;
  pages: number;
  records: number;
  upserted: number;
  /** Rows deleted by Nango's tombstones during the passes. */
  deleted: number;
  /** Rows deleted because a replace pass did not see them. */
  unseenDeleted: number;
  /** One per finished stream (at most {@link MAX_LISTED_STREAMS}). */
  reports: BackfillStreamReport[];
  /** One per failed stream (at most {@link MAX_LISTED_STREAMS}); `stream` null if its job id is not one of ours. */
  failures: Array<{ stream: StreamKey | null; reason: string }>;
}

/**
 * Adds up the children of a backfill: the return values of those that completed (keyed by BullMQ job key) and the
 * reasons of those that failed for good. Pure.
 */
export function summarizeBackfill(
  streams: number,
  completed: Readonly<Record<string, unknown>>,
  failed: Readonly<Record<string, string>>,
): BackfillSummary {
  const summary: BackfillSummary = {
    streams,
    merged: 0,
    replaced: 0,
    refused: 0,
    failed: 0,
    pages: 0,
    records: 0,
    upserted: 0,
    deleted: 0,
    unseenDeleted: 0,
    reports: [],
    failures: [],
  };
  for (const value of Object.values(completed)) {
    if (!isReport(value)) continue;
    summary[value.outcome] += 1;
    summary.pages += value.pages;
    summary.records += value.records;
    summary.upserted += value.upserted;
    summary.deleted += value.deleted;
    summary.unseenDeleted += value.unseenDeleted;
    if (summary.reports.length < MAX_LISTED_STREAMS) summary.reports.push(value);
  }
  for (const [key, reason] of Object.entries(failed)) {
    summary.failed += 1;
    if (summary.failures.length < MAX_LISTED_STREAMS) summary.failures.push({ stream: streamOfBackfillJobKey(key), reason });
  }
  return summary;
}

function isReport(value: unknown): value is BackfillStreamReport {
  const outcome = (value as { outcome?: unknown } | null)?.outcome;
  return outcome === 'merged' || outcome === 'replaced' || outcome === 'refused';
}
