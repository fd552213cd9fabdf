import { NEVER_REACHED_LIMITER, type QueueWorkerOptions } from './queue-worker-options.js';
import { DelayedError, type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { isTerminal } from '../errors/replicator-error.js';
import type { BackfillStreamJobRef, BackfillStreamResult } from './process-backfill-stream-job.js';
import { BACKFILL_JOB, BACKFILL_QUEUE, BACKFILL_STREAM_JOB } from './queue-names.js';
import type { BackfillSummary } from './summarize-backfill.js';

export interface BackfillWorkerDeps {
  logger: Logger;
  /** Runs a `backfill` message (e.g. `processBackfillJob` bound to its deps). */
  processBackfill(job: Job, token: string, signal: AbortSignal): Promise<BackfillSummary>;
  /** Runs one stream (e.g. `processBackfillStreamJob` bound to its deps). */
  processStream(job: BackfillStreamJobRef, signal: AbortSignal): Promise<BackfillStreamResult>;
}

export interface BackfillWorkerOptions extends QueueWorkerOptions {
  /** A stream job that finds its stream busy, or was interrupted, runs again after this long, ms. */
  retryLaterMs: number;
}

/**
 * The worker consuming `nango-backfill`, not yet running (call `run()`). Dispatches on the job name; any other name
 * fails for good. A stream job that found its stream busy or was interrupted is put back as delayed (its parent
 * link and attempts intact) rather than dropped. Terminal errors become UnrecoverableError: no retries.
 */
export function createBackfillWorker(deps: BackfillWorkerDeps, options: BackfillWorkerOptions): Worker {
  const worker = new Worker(
    BACKFILL_QUEUE,
    async (job: Job, token?: string, signal?: AbortSignal) => {
      const stop = signal ?? new AbortController().signal;
      try {
        if (job.name === BACKFILL_JOB) return await deps.processBackfill(job, token ?? '', stop);
        if (job.name === BACKFILL_STREAM_JOB) return await runStream(deps, options, job, token, stop);
      } catch (error) {
        if (isTerminal(error)) throw new UnrecoverableError((error as Error).message);
        throw error;
      }
      throw new UnrecoverableError(`Unknown job name "${job.name}" on ${BACKFILL_QUEUE}: send "${BACKFILL_JOB}"`);
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
    deps.logger.warn({ ...stream, jobId: job?.id, jobName: job?.name, attemptsMade: job?.attemptsMade, reason: error.message }, 'backfill job failed');
  });
  worker.on('stalled', (jobId) => deps.logger.warn({ jobId }, 'backfill job stalled (its worker died or hung); it runs again'));
  worker.on('error', (error) => deps.logger.error({ err: { message: error.message } }, 'BullMQ backfill worker error'));
  return worker;
}

async function runStream(deps: BackfillWorkerDeps, options: BackfillWorkerOptions, job: Job, token: string | undefined, signal: AbortSignal) {
  const ref: BackfillStreamJobRef = {
    id: String(job.id),
    data: job.data,
    attemptsMade: job.attemptsMade,
    attempts: job.opts.attempts ?? 1,
    reportProgress: (progress) => job.updateProgress({ ...progress }),
  };
  const result = await deps.processStream(ref, signal);
  if (result.outcome !== 'busy' && result.outcome !== 'interrupted') return result;
  // Back to `delayed` under the same id: the parent keeps waiting for it, and no attempt is used up.
  await job.moveToDelayed(Date.now() + options.retryLaterMs, token);
  throw new DelayedError(`stream ${result.outcome}: runs again in ${options.retryLaterMs} ms`);
}
