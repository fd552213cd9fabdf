import type { Totals } from '../write/totals.js';
import type { StreamKey } from '../stream/stream-key.js';
import type { ReplicatorMetrics } from './create-replicator-metrics.js';
import { recordPageMetrics } from './record-page-metrics.js';

/** The running totals of a run it reads, as `replicateStream`'s `onProgress` reports them after every committed page. */
export type RunTotals = Pick<Totals, 'pages' | 'upserted' | 'deleted' | 'valueErrors' | 'rejected'>;

/**
 * An `onProgress` callback for one run that turns its running totals into per-page metrics (the difference
 * from the previous call), so the sync path needs no change to be measured:
 * `replicateStream(deps, { ...options, onProgress: pageMetricsRecorder(metrics, stream) })`.
 */
export function pageMetricsRecorder(metrics: ReplicatorMetrics, stream: StreamKey): (totals: RunTotals) => void {
  let seen: RunTotals = { pages: 0, upserted: 0, deleted: 0, valueErrors: 0, rejected: 0 };
  return (totals) => {
    if (totals.pages <= seen.pages) return;
    recordPageMetrics(metrics, stream, {
      upserted: totals.upserted - seen.upserted,
      deleted: totals.deleted - seen.deleted,
      valueErrors: totals.valueErrors - seen.valueErrors,
      rejected: totals.rejected - seen.rejected,
    });
    // onProgress fires once per page; should two pages ever be reported at once, count the pages too.
    if (totals.pages - seen.pages > 1) metrics.pages.inc(metrics.labelsOf(stream), totals.pages - seen.pages - 1);
    seen = {
      pages: totals.pages,
      upserted: totals.upserted,
      deleted: totals.deleted,
      valueErrors: totals.valueErrors,
      rejected: totals.rejected,
    };
  };
}
