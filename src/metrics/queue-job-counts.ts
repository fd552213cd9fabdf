import type { MetricSources } from './create-replicator-metrics.js';

/**
 * The job states `nango_replicator_queue_jobs` reports for each queue: `waiting` (the depth), `active` (running
 * now), `delayed` (a retry's backoff, a stream found busy), `prioritized`, `failed`, and `waiting-children` (a
 * backfill request waiting for its streams' jobs).
 */
export const QUEUE_JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed', 'waiting-children'] as const;

/** What `queueJobCounts` needs of a BullMQ queue. */
export interface CountableQueue {
  getJobCounts(...types: Array<(typeof QUEUE_JOB_STATES)[number]>): Promise<Record<string, number>>;
}

/**
 * A `queues` source of `createReplicatorMetrics` for one BullMQ queue, counting {@link QUEUE_JOB_STATES} at scrape
 * time. `queue` is looked up at each scrape, so the metrics can be created before the queue is opened; until then
 * the source reports nothing.
 */
export function queueJobCounts(name: string, queue: () => CountableQueue | undefined): NonNullable<MetricSources['queues']>[number] {
  return {
    name,
    counts: async () => (await queue()?.getJobCounts(...QUEUE_JOB_STATES)) ?? {},
  };
}
