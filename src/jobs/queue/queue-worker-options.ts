import type { ConnectionOptions } from 'bullmq';

/** How a replicator queue's BullMQ worker connects and runs; shared by the sync and backfill workers. */
export interface QueueWorkerOptions {
  connection: ConnectionOptions;
  /** BullMQ key prefix; undefined: BullMQ's default `bull`. */
  prefix: string | undefined;
  /** Worker name stored on the jobs it takes, e.g. `<host>:<pid>`. */
  name: string;
  /** Jobs at once in this process. */
  concurrency: number;
  /** Job lock expiry and stalled-check period: a crashed worker's job runs again within about twice this, ms. */
  lockDurationMs: number;
}

/**
 * BullMQ's limiter counts jobs per window; the replicator never wants it to hold jobs back (the Redis token
 * bucket paces requests). It is set only because `rateLimit()` pauses a queue only when a limiter is configured.
 */
export const NEVER_REACHED_LIMITER = { max: 1_000_000_000, duration: 1000 };
