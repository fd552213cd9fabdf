import type { Worker } from 'bullmq';
import type { Logger } from 'pino';
import { withDeadline } from '../../util/with-deadline.js';

/**
 * Closes a BullMQ worker: it takes no new jobs, and the jobs running (already told to stop after their page in
 * flight) are waited for until `deadlineMs`. Resolves true when they finished in time; false when they were
 * abandoned at the deadline (an open page transaction then rolls back when the process exits, and BullMQ hands the
 * job to another worker once its lock expires).
 */
export async function drainWorker(worker: Worker, deadlineMs: number, logger: Logger): Promise<boolean> {
  const outcome = await withDeadline(
    worker.close().then(() => 'drained' as const),
    deadlineMs,
    () => 'late' as const,
  );
  if (outcome === 'drained') return true;
  logger.warn('shutdown deadline reached with jobs still running: abandoning them (an open page transaction rolls back)');
  // Forced: stop waiting for the jobs; whatever this close reports no longer matters, the process is exiting.
  worker.close(true).catch((error: unknown) => logger.debug({ err: { message: String(error) } }, 'forced close failed'));
  return false;
}

/** Starts the worker's loop. Resolves only if the loop ends while `shutdown` has not aborted: a fatal error. */
export function runUntilFailure(worker: Worker, shutdown: AbortSignal): Promise<Error> {
  return new Promise<Error>((resolve) => {
    const ended = (error: unknown) => {
      if (!shutdown.aborted) resolve(error instanceof Error ? error : new Error('the BullMQ worker stopped'));
    };
    worker.run().then(ended, ended);
  });
}
