import { ReplicatorError } from '../../errors/replicator-error.js';
import type { Logger } from 'pino';
import type { StreamKey } from '../../stream/stream-key.js';
import { errorSummary } from '../../errors/error-summary.js';
import type { SyncJobRef } from '../sync/process-sync-job.js';
import { parseSyncJobData, streamOf } from '../sync/sync-job-data.js';

/**
 * Wraps a sync job processor: when a job fails because Nango keeps rejecting the stream's stored cursor
 * (`cursor_rejected`, docs/nango-api.md 1.6), a `replace` backfill of the stream is scheduled (it re-reads the stream from
 * the start, which also replaces the cursor, and removes what Nango dropped meanwhile). The job's own failure is
 * rethrown unchanged; a failure to schedule is logged and does not hide it.
 */
export function backfillOnRejectedCursor<R>(
  process: (job: SyncJobRef, signal: AbortSignal) => Promise<R>,
  deps: { schedule(stream: StreamKey, reason: string): Promise<unknown>; logger: Logger },
): (job: SyncJobRef, signal: AbortSignal) => Promise<R> {
  return async (job, signal) => {
    try {
      return await process(job, signal);
    } catch (error) {
      if (error instanceof ReplicatorError && error.code === 'cursor_rejected') {
        try {
          await deps.schedule(streamOf(parseSyncJobData(job.data)), 'cursor_rejected: Nango keeps answering 500 to the stored cursor');
        } catch (scheduleError) {
          deps.logger.warn({ err: errorSummary(scheduleError), jobId: job.id }, 'could not schedule a backfill after a rejected cursor');
        }
      }
      throw error;
    }
  };
}
