/**
 * The BullMQ queues and job names the replicator uses. Other services may add jobs to these queues with a plain
 * `new Queue(name)` (BullMQ's default prefix `bull`, unless `queue.prefix` is configured).
 */

/** Incremental syncs: one job scheduler per followed stream, plus continuation jobs of sliced runs. */
export const SYNC_QUEUE = 'nango-sync';

/** The name of every job on {@link SYNC_QUEUE}. */
export const SYNC_JOB = 'sync';

/** On-demand backfills: any service may add a {@link BACKFILL_JOB} job (see `backfill-job-data.ts`, docs/backfills.md). */
export const BACKFILL_QUEUE = 'nango-backfill';

/** The name of a backfill request on {@link BACKFILL_QUEUE}. */
export const BACKFILL_JOB = 'backfill';

/** The name of the child jobs a backfill adds, one per stream; added by the replicator only. */
export const BACKFILL_STREAM_JOB = 'backfill-stream';
