import { DelayedError, type Job, UnrecoverableError, type Worker } from 'bullmq';
import type { Logger } from 'pino';
import { createQueueWorker } from '../queue/create-queue-worker.js';
import type { BackfillStreamJobRef, BackfillStreamResult } from './process-backfill-stream-job.js';
import { BACKFILL_JOB, BACKFILL_QUEUE, BACKFILL_STREAM_JOB } from '../queue/queue-names.js';
import type { QueueWorkerOptions } from '../queue/queue-worker-options.js';
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
 * link, attempts and progress, hence its resume point, intact) rather than dropped. Terminal errors become UnrecoverableError: no retries.
 */
export function createBackfillWorker(deps: BackfillWorkerDeps, options: BackfillWorkerOptions): Worker {
  const labels = { job: 'backfill job', worker: 'BullMQ backfill worker' };
  return createQueueWorker(BACKFILL_QUEUE, deps, { ...options, labels }, async (job, token, signal) => {
    if (job.name === BACKFILL_JOB) return deps.processBackfill(job, token ?? '', signal);
    if (job.name === BACKFILL_STREAM_JOB) return runStream(deps, options, job, token, signal);
    throw new UnrecoverableError(`Unknown job name "${job.name}" on ${BACKFILL_QUEUE}: send "${BACKFILL_JOB}"`);
  });
}

async function runStream(
  deps: BackfillWorkerDeps,
  options: BackfillWorkerOptions,
  job: Job,
  token: string | undefined,
  signal: AbortSignal,
) {
  const ref: BackfillStreamJobRef = {
    id: String(job.id),
    data: job.data,
    attemptsMade: job.attemptsMade,
    attempts: job.opts.attempts ?? 1,
    progress: job.progress,
    reportProgress: (progress) => job.updateProgress({ ...progress }),
  };
  const result = await deps.processStream(ref, signal);
  if (result.outcome !== 'busy' && result.outcome !== 'interrupted') return result;
  // Back to `delayed` under the same id: the parent keeps waiting for it, and no attempt is used up.
  await job.moveToDelayed(Date.now() + options.retryLaterMs, token);
  throw new DelayedError(`stream ${result.outcome}: runs again in ${options.retryLaterMs} ms`);
}
