import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { RedisLocks } from '../../lock/redis-locks.js';
import type { NangoClient } from '../../nango/nango-client.js';
import type { ModelFieldsLookup } from '../../replicate/model-fields-lookup.js';
import { NO_TOTALS } from '../../write/totals.js';
import { replicateStream, type ReplicateSummary } from '../../replicate/replicate-stream.js';
import type { ReplicatorMetrics } from '../../metrics/create-replicator-metrics.js';
import { pageMetricsRecorder } from '../../metrics/page-metrics-recorder.js';
import { recordRunMetrics } from '../../metrics/record-run-metrics.js';
import type { ReplicatorDatabase } from '../../store/replicator-tables.js';
import type { StreamKey } from '../../stream/stream-key.js';
import { continuationJobId, followUpJobId } from '../../stream/stream-ids.js';
import type { StreamPullMarks } from '../../lock/stream-pull-marks.js';
import { parseSyncJobData, streamOf, type SyncJobInput } from './sync-job-data.js';
import { runStreamJob, type StreamRead } from '../../lock/run-stream-job.js';
import { streamMessageFields } from '../../stream/stream-message-fields.js';

export interface SyncJobDeps {
  db: Kysely<ReplicatorDatabase>;
  nango: NangoClient;
  /** The model's fields: the worker's lookup, cached for all its jobs. */
  modelFields: ModelFieldsLookup;
  locks: RedisLocks;
  /** Where a job that finds its stream busy leaves its request for the holder (see `withStreamLock`). */
  pullMarks: StreamPullMarks;
  logger: Logger;
  /** Per-stream counters (pages, rows, value errors, runs); optional so a test can leave them out. */
  metrics?: ReplicatorMetrics;
  /** Adds a job to `nango-sync` with this id (a no-op if it exists). */
  enqueue(data: SyncJobInput, jobId: string): Promise<void>;
}

export interface SyncJobSettings {
  /** Postgres schema of the model tables. */
  schema: string;
  deletes: 'soft' | 'hard';
  /** Whether a stream's table keeps every version (`historyFor`); absent: no history. */
  history?: (stream: StreamKey) => boolean;
  /** Fillfactor of the model tables (see `ReplicateOptions.fillfactor`). */
  fillfactor: number;
  pageSize: number;
  /** Pages one job reads before it re-queues the rest of the stream. */
  slicePages: number;
  /** Who this process is, stored in the locks it holds: `<host>:<pid>`. */
  owner: string;
}

/** The job as the processor needs it, free of BullMQ types. */
export interface SyncJobRef {
  id: string;
  data: unknown;
  /** Attempts that already failed. */
  attemptsMade: number;
  /** Attempts allowed in all. */
  attempts: number;
}

/** What a job did; stored as the BullMQ job's return value. */
export type SyncJobResult =
  /** `continued`: a continuation was queued (not at the end); `followedUp`: a follow-up pull was (a request came meanwhile). */
  | ({ outcome: 'synced'; continued: boolean; followedUp: boolean } & Omit<ReplicateSummary, 'elapsedMs'>)
  /**
   * Another job holds the stream. This job ends here, whatever its trigger, after leaving a pull mark: the holder
   * reads to the end and, if the mark is still there when it lets go of the stream, queues one more pull, as it may
   * have read its last page before the change this job was for.
   */
  | { outcome: 'busy'; holder: string | null }
  /** Another run moved the cursor under this one (the lock expired); its page rolled back and that run carries on. */
  | { outcome: 'superseded'; followedUp: boolean }
  /** A scheduled tick whose stream was not due (adaptive polling, `src/schedule/`): nothing was read. */
  | { outcome: 'not-due' };

/**
 * Runs one bounded slice of one stream: takes the stream's lock (else leaves a pull mark and ends at once: the
 * holder reads to the end and serves the mark; see `withStreamLock`, which also closes runs a dead process left
 * `running`), replicates at most `slicePages` pages, and if the stream is not at its end, queues the continuation
 * behind the jobs already waiting, so every stream gets its turn. At the end, if a job found the stream busy
 * meanwhile, queues one follow-up pull (the continuation, if any, serves as one). `signal` (shutdown, or the lock
 * lost) stops between pages.
 * Failures are stored on the stream for `status` and rethrown; terminal ones (ReplicatorError `terminal`) must
 * not be retried.
 */
export async function processSyncJob(
  deps: SyncJobDeps,
  settings: SyncJobSettings,
  job: SyncJobRef,
  signal: AbortSignal,
): Promise<SyncJobResult> {
  const data = parseSyncJobData(job.data);
  const stream = streamOf(data);
  return runStreamJob<ReplicateSummary | null, SyncJobResult>(deps, {
    stream,
    owner: `${settings.owner} job ${job.id}`,
    signal,
    logFields: { jobId: job.id },
    markIfBusy: true,
    failure: { what: 'sync job', attempts: { made: job.attemptsMade, allowed: job.attempts } },
    read: (stop, logger) => runSlice({ ...deps, logger }, settings, stream, stop),
    busy: (busy, logger) => {
      logger.debug({ holder: busy.holder }, 'stream busy: another job is reading it; it pulls once more when done');
      return { outcome: 'busy', holder: busy.holder };
    },
    afterRelease: (pullMark, read, logger) => servePullMark({ ...deps, logger }, { stream, jobId: job.id }, pullMark, read),
  });
}

/**
 * The sync job's pull-mark policy: a slice that is not at the end queues its continuation, which serves the mark
 * too (read after it was taken); one at the end, or superseded, queues a follow-up pull if a mark was left.
 */
async function servePullMark(
  deps: SyncJobDeps,
  job: { stream: StreamKey; jobId: string },
  pullMark: string | null,
  read: StreamRead<ReplicateSummary | null>,
): Promise<SyncJobResult> {
  const { stream } = job;
  const followUp = async () => {
    if (pullMark === null) return false;
    deps.logger.debug({ requestedBy: pullMark }, 'a pull was requested while this job held the stream: one more follows');
    await deps.enqueue({ ...streamMessageFields(stream), trigger: 'follow-up' }, followUpJobId(stream, pullMark));
    return true;
  };
  if (read.status !== 'read') {
    deps.logger.warn('another run moved the cursor: this slice stops, that run carries on');
    return { outcome: 'superseded', followedUp: await followUp() };
  }
  const summary = read.value;
  const complete = summary?.complete ?? false;
  if (!complete) {
    // Read after the mark was taken, the continuation serves it too.
    const cursor = summary?.cursor ?? null;
    await deps.enqueue({ ...streamMessageFields(stream), trigger: 'continuation' }, continuationJobId(stream, job.jobId, cursor));
  }
  const followedUp = complete && (await followUp());
  const { elapsedMs: _elapsed, ...counts } = summary ?? emptySummary();
  return { outcome: 'synced', ...counts, complete, continued: !complete, followedUp };
}

/** One slice; null when stopped before a run could start (shutdown while looking up the model). */
async function runSlice(
  deps: SyncJobDeps,
  settings: SyncJobSettings,
  stream: StreamKey,
  stop: AbortSignal,
): Promise<ReplicateSummary | null> {
  let fields;
  try {
    fields = await deps.modelFields(stream, stop);
  } catch (error) {
    if (stop.aborted) return null;
    throw error;
  }
  const { metrics } = deps;
  try {
    const summary = await replicateStream(
      { db: deps.db, nango: deps.nango, modelFields: deps.modelFields, logger: deps.logger },
      {
        stream,
        schema: settings.schema,
        deletes: settings.deletes,
        fillfactor: settings.fillfactor,
        pageSize: settings.pageSize,
        fields,
        maxPages: settings.slicePages,
        signal: stop,
        history: settings.history?.(stream),
        onProgress: metrics ? pageMetricsRecorder(metrics, stream) : undefined,
      },
    );
    if (metrics) recordRunMetrics(metrics, stream, { kind: 'sync', status: 'succeeded' });
    return summary;
  } catch (error) {
    if (metrics) recordRunMetrics(metrics, stream, { kind: 'sync', status: 'failed' });
    throw error;
  }
}

function emptySummary(): ReplicateSummary {
  return { ...NO_TOTALS, complete: false, cursor: null };
}
