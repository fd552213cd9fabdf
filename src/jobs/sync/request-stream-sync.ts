import { randomUUID } from 'node:crypto';
import type { JobsOptions, Queue } from 'bullmq';
import type { StreamKey } from '../../stream/stream-key.js';
import { SYNC_JOB } from '../queue/queue-names.js';
import { streamSchedulerId } from '../../stream/stream-ids.js';
import type { SyncJobInput } from './sync-job-data.js';
import { streamMessageFields } from '../../stream/stream-message-fields.js';

/** What became of a request to pull a stream now. */
export type StreamSyncRequestOutcome =
  /** A job was added; it pulls the stream as soon as a worker is free. */
  | 'enqueued'
  /** A requested pull of the stream is already waiting, or will follow the one running: nothing more is needed. */
  | 'already-queued'
  /**
   * The stream has no schedule (not in `streams`, not discovered yet, or a variant no rule follows or Nango no longer
   * lists): nothing was added.
   */
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
 * - Only a scheduled stream is pulled: a variant a webhook announces is scheduled first (`followAnnouncedVariant`)
 *   when a rule follows it, so the `variants` rules and a variant gone from Nango are respected here too.
 * Only enqueues: returns in one or two Redis round trips.
 */
export async function requestStreamSync(
  queue: Queue<SyncJobInput>,
  stream: StreamKey,
  options: PullOptions,
): Promise<StreamSyncRequestOutcome> {
  if ((await queue.getJobScheduler(streamSchedulerId(stream))) === undefined) return 'not-followed';
  return pullStreamOnce(queue, stream, options);
}

/** How a pull is asked for: why, the sync jobs' options, and the coalescing window (ms, default {@link DEFAULT_COALESCE_MS}). */
export interface PullOptions {
  trigger: 'webhook' | 'manual';
  jobOptions: JobsOptions;
  coalesceMs?: number;
  /**
   * The stream's schedule (`every` and safety net, ms), carried by the pull that reads a newly scheduled stream: its
   * read stores them, so the stream has a polling period from its first read, not from its first tick.
   */
  schedule?: { everyMs: number; safetyNetMs: number };
}

/**
 * Enqueues one coalesced pull of `stream`, scheduled or not (see {@link requestStreamSync} for the rules it keeps).
 * The step that discovers variants calls it to read a variant it found before its scheduler is reconciled.
 */
export async function pullStreamOnce(
  queue: Queue<SyncJobInput>,
  stream: StreamKey,
  options: PullOptions,
): Promise<'enqueued' | 'already-queued'> {
  const schedulerId = streamSchedulerId(stream);
  const jobId = `${schedulerId}/requested/${randomUUID()}`;
  const job = await queue.add(
    SYNC_JOB,
    { ...streamMessageFields(stream), trigger: options.trigger, ...options.schedule },
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
