import type { JobSchedulerTemplateOptions } from 'bullmq';

/** Retry settings of sync jobs (config `worker.attempts`, `worker.backoff`). */
export interface SyncRetrySettings {
  /** Tries of a job failing with a transient error; terminal errors fail at once. */
  attempts: number;
  /** First retry delay, doubling each attempt (BullMQ adds no jitter; the gate spreads requests anyway), ms. */
  backoffMs: number;
}

/** Finished jobs kept for inspection: a day (or 1000) of completed ones, a week (or 5000) of failed ones. */
const KEEP_COMPLETED = { age: 24 * 3600, count: 1000 };
const KEEP_FAILED = { age: 7 * 24 * 3600, count: 5000 };

/** The options of every sync job: scheduled iterations and continuations alike. */
export function syncJobOptions(settings: SyncRetrySettings): JobSchedulerTemplateOptions {
  return {
    attempts: settings.attempts,
    backoff: { type: 'exponential', delay: settings.backoffMs },
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED,
  };
}
