import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { isTerminal } from '../../errors/replicator-error.js';
import { NEVER_REACHED_LIMITER, type QueueWorkerOptions } from './queue-worker-options.js';

/** What a replicator queue's worker runs for each job; `signal` aborts when BullMQ cancels the job. */
export type QueueProcessor = (job: Job, token: string | undefined, signal: AbortSignal) => Promise<unknown>;

export interface QueueWorkerDeps {
  logger: Logger;
}

/** How the worker names its jobs in its log lines: `job` for `nango-sync`, `backfill job` for `nango-backfill`. */
export interface QueueWorkerLabels {
  /** e.g. `backfill job`: "backfill job failed", "backfill job stalled ...". */
  job: string;
  /** e.g. `BullMQ backfill worker`: "BullMQ backfill worker error". */
  worker: string;
}

/**
 * The BullMQ worker of one replicator queue, not yet running (call `run()`), with the settings both queues share:
 * a job lock of `lockDurationMs` (also the stalled-check period), the never-reached limiter that lets a 429 pause
 * the queue, and logs of failed, stalled and errored jobs with their stream. A terminal error thrown by `process`
 * (ReplicatorError `terminal`) becomes BullMQ's UnrecoverableError, so the job fails at once instead of being
 * retried; any other error is retried with the job's backoff.
 */
export function createQueueWorker(
  queue: string,
  deps: QueueWorkerDeps,
  options: QueueWorkerOptions & { labels: QueueWorkerLabels },
  process: QueueProcessor,
): Worker {
  const { labels } = options;
  const worker = new Worker(
    queue,
    async (job: Job, token?: string, signal?: AbortSignal) => {
      try {
        return await process(job, token, signal ?? new AbortController().signal);
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
    const facts = { ...stream, jobId: job?.id, jobName: job?.name, attemptsMade: job?.attemptsMade, reason: error.message };
    deps.logger.warn(facts, `${labels.job} failed`);
  });
  worker.on('stalled', (jobId) => deps.logger.warn({ jobId }, `${labels.job} stalled (its worker died or hung); it runs again`));
  worker.on('error', (error) => deps.logger.error({ err: { message: error.message } }, `${labels.worker} error`));
  return worker;
}
