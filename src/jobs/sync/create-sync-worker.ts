import type { Worker } from 'bullmq';
import type { Logger } from 'pino';
import { createQueueWorker } from '../queue/create-queue-worker.js';
import type { SyncJobRef, SyncJobResult } from './process-sync-job.js';
import { SYNC_QUEUE } from '../queue/queue-names.js';
import type { QueueWorkerOptions } from '../queue/queue-worker-options.js';

export interface SyncWorkerDeps {
  logger: Logger;
  /** The processor, e.g. `processSyncJob` bound to its deps. */
  process(job: SyncJobRef, signal: AbortSignal): Promise<SyncJobResult>;
}

/** See {@link QueueWorkerOptions}. */
export type SyncWorkerOptions = QueueWorkerOptions;

/**
 * The worker consuming `nango-sync`, not yet running (call `run()`). Terminal errors become BullMQ's
 * UnrecoverableError, so the job fails at once instead of being retried; transient ones are retried with backoff
 * (see `createQueueWorker`).
 */
export function createSyncWorker(deps: SyncWorkerDeps, options: SyncWorkerOptions): Worker {
  return createQueueWorker(SYNC_QUEUE, deps, { ...options, labels: { job: 'job', worker: 'BullMQ worker' } }, (job, _token, signal) => {
    const ref: SyncJobRef = { id: String(job.id), data: job.data, attemptsMade: job.attemptsMade, attempts: job.opts.attempts ?? 1 };
    return deps.process(ref, signal);
  });
}
