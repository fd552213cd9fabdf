/**
 * The BullMQ queues and job names the replicator uses. Other services may add jobs to these queues with a plain
 * `new Queue(name)` (BullMQ's default prefix `bull`, unless `queue.prefix` is configured).
 */

/** Incremental syncs: one job scheduler per followed stream, plus continuation jobs of sliced runs. */
export const SYNC_QUEUE = 'nango-sync';

/** The name of every job on {@link SYNC_QUEUE}. */
export const SYNC_JOB = 'sync';

/** On-demand backfills (issue 5). Reserved: nothing consumes it yet. */
export const BACKFILL_QUEUE = 'nango-backfill';
