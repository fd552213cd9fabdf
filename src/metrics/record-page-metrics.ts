import type { StreamKey } from '../stream/stream-key.js';
import type { PageResult } from '../write/write-page.js';
import type { ReplicatorMetrics } from './create-replicator-metrics.js';

/** The counts of one committed page that metrics track (a `PageResult` fits). */
export type PageCounts = Pick<PageResult, 'upserted' | 'deleted' | 'valueErrors' | 'rejected'>;

/** Counts one committed page of `stream`. Call it after the page's transaction commits, never before. */
export function recordPageMetrics(metrics: ReplicatorMetrics, stream: StreamKey, page: PageCounts): void {
  const labels = metrics.labelsOf(stream);
  metrics.pages.inc(labels);
  metrics.recordsUpserted.inc(labels, page.upserted);
  metrics.recordsDeleted.inc(labels, page.deleted);
  metrics.recordsRejected.inc(labels, page.rejected);
  metrics.valueErrors.inc(labels, page.valueErrors);
}
