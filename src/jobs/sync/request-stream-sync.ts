import { randomUUID } from 'node:crypto';
import type { JobsOptions, Queue } from 'bullmq';
import type { StreamKey } from '../../stream/stream-key.js';
import { SYNC_JOB } from '../queue/queue-names.js';
import { streamSchedulerId } from '../../stream/stream-ids.js';
import type { SyncJobInput } from './sync-job-data.js';

/** What became of a request to pull a stream now. */
export type StreamSyncRequestOutcome =
  /** A job was added; it pulls the stream as soon as a worker is free. */
  | 'enqueued'
  /** A requested pull of the stream is already waiting, or will follow the one running: nothing more is needed. */
  | 'already-queued'
  /** The stream has no schedule (not in `streams`, or not discovered yet): nothing was added. */
  | 'not-followed';

/** Requests for one stream within this long of the first are served by one pull, ms. */
export const DEFAULT_COALESCE_MS = 1000;

/**
 * Asks for a sync of a followed stream now (e.g. after a Nango webhook), from its stored cursor.
 * - Coalesced: the pull starts `coalesceMs` after the first request, and requests meanwhile join it (BullMQ
 *   deduplication per stream), so a burst of webhooks causes one pull.
 * - Not lost: a request arriving while that pull runs makes one more pull after it (`keepLastIfActive`), since the
 *   running one may have read past the change already.
 * - Never overlapping the stream's other jobs: the job takes the stream's lock; if the stream is busy it leaves a
 *   pull mark, and the holder pulls once more after its run (see `processSyncJob`).
 * Only enqueues: returns in one or two Redis round trips.
 */
export async function requestStreamSync(
  queue: Queue<SyncJobInput>,
  stream: StreamKey,
  options: { trigger: 'webhook' | 'manual'; jobOptions: JobsOptions; coalesceMs?: number },
): Promise<StreamSyncRequestOutcome> {
  const schedulerId = streamSchedulerId(stream);
  if ((await queue.getJobScheduler(schedulerId)) === undefined) return 'not-followed';
  const jobId = `${schedulerId}/requested/${randomUUID()}`;
  const job = await queue.add(
    SYNC_JOB,
    { ...stream, trigger: options.trigger },
    {
      ...options.jobOptions,
      jobId,
      delay: options.coalesceMs ?? DEFAULT_COALESCE_MS,
      deduplication: { id: `${schedulerId}/requested`, keepLastIfActive: true },
    },
  );
  // A deduplicated add answers with the job already there.
  return job.id === jobId ? 'enqueued' : 'already-queued';
}
