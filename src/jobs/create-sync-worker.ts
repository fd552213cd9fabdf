import { NEVER_REACHED_LIMITER, type QueueWorkerOptions } from './queue-worker-options.js';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { isTerminal } from '../errors/replicator-error.js';
import type { SyncJobRef, SyncJobResult } from './process-sync-job.js';
import { SYNC_QUEUE } from './queue-names.js';

export interface SyncWorkerDeps {
  logger: Logger;
  /** The processor, e.g. `processSyncJob` bound to its deps. */
  process(job: SyncJobRef, signal: AbortSignal): Promise<SyncJobResult>;
}

/** See {@link QueueWorkerOptions}. */
export type SyncWorkerOptions = QueueWorkerOptions;

/**
 * The worker consuming `nango-sync`, not yet running (call `run()`). Terminal errors become BullMQ's
 * UnrecoverableError, so the job fails at once instead of being retried; transient ones are retried with backoff.
 */
export function createSyncWorker(deps: SyncWorkerDeps, options: SyncWorkerOptions): Worker {
  const worker = new Worker(
    SYNC_QUEUE,
    async (job: Job, _token?: string, signal?: AbortSignal) => {
      const ref: SyncJobRef = { id: String(job.id), data: job.data, attemptsMade: job.attemptsMade, attempts: job.opts.attempts ?? 1 };
      try {
        return await deps.process(ref, signal ?? new AbortController().signal);
      } catch (error) {
        if (isTerminal(error)) throw new UnrecoverableError((error as Error).message);
        throw error;
      }
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      name: options.name,
      autorun: false,
      concurrency: options.concurrency,
      lockDuration: options.lockDurationMs,
      stalledInterval: options.lockDurationMs,
      maxStalledCount: 2,
      limiter: NEVER_REACHED_LIMITER,
    },
  );
  worker.on('failed', (job, error) => {
    const data = (job?.data ?? {}) as Record<string, unknown>;
    const stream = { integration: data.providerConfigKey, connection: data.connectionId, model: data.model };
    deps.logger.warn({ ...stream, jobId: job?.id, attemptsMade: job?.attemptsMade, reason: error.message }, 'job failed');
  });
  worker.on('stalled', (jobId) => deps.logger.warn({ jobId }, 'job stalled (its worker died or hung); it runs again'));
  worker.on('error', (error) => deps.logger.error({ err: { message: error.message } }, 'BullMQ worker error'));
  return worker;
}
