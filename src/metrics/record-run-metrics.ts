import type { StreamKey } from '../stream/stream-key.js';
import type { ReplicatorMetrics } from './create-replicator-metrics.js';

/** How a run of a stream ended. `kind` is the run's kind in `nango_replicator.runs` (`sync`, `full`, `backfill`). */
export interface RunOutcome {
  kind: string;
  status: 'succeeded' | 'failed';
}

/**
 * Counts a finished run. The run's times are not kept here: `last success` and `freshness` gauges are read
 * from the streams table at scrape time, so they are right fleet-wide and survive restarts.
 */
export function recordRunMetrics(metrics: ReplicatorMetrics, stream: StreamKey, run: RunOutcome): void {
  metrics.runs.inc({ ...metrics.labelsOf(stream), kind: run.kind, status: run.status });
}
