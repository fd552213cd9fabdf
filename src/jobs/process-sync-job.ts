import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { isTerminal, ReplicatorError } from '../errors/replicator-error.js';
import type { RedisLocks } from '../lock/redis-locks.js';
import type { NangoClient } from '../nango/nango-client.js';
import type { ScriptsConfigCache } from '../nango/scripts-config-cache.js';
import { errorSummary } from '../errors/error-summary.js';
import { replicateStream, type ReplicateSummary } from '../replicate/replicate-stream.js';
import type { ReplicatorMetrics } from '../metrics/create-replicator-metrics.js';
import { pageMetricsRecorder } from '../metrics/page-metrics-recorder.js';
import { recordRunMetrics } from '../metrics/record-run-metrics.js';
import { findModelFields } from '../schema/model-fields.js';
import { recordStreamError } from '../store/record-stream-error.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import type { StreamKey } from '../store/stream-key.js';
import { continuationJobId, followUpJobId } from './stream-ids.js';
import type { StreamPullMarks } from './stream-pull-marks.js';
import { parseSyncJobData, streamOf, type SyncJobInput } from './sync-job-data.js';
import { withStreamLock } from './with-stream-lock.js';

export interface SyncJobDeps {
  db: Kysely<ReplicatorDatabase>;
  nango: NangoClient;
  scriptsConfig: ScriptsConfigCache;
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
  const logger = deps.logger.child({
    integration: stream.providerConfigKey,
    connection: stream.connectionId,
    model: stream.model,
    jobId: job.id,
  });
  const lockOptions = { stream, owner: `${settings.owner} job ${job.id}`, signal, markIfBusy: true };
  const locked = await withStreamLock({ ...deps, logger }, lockOptions, async (stop) => {
    try {
      return await runSlice({ ...deps, logger }, settings, stream, stop);
    } catch (error) {
      if (error instanceof ReplicatorError && error.code === 'stream_taken') {
        logger.warn('another run moved the cursor: this slice stops, that run carries on');
        return 'superseded' as const;
      }
      await noteFailure({ ...deps, logger }, stream, job, error);
      throw error;
    }
  });
  if (!locked.taken) {
    logger.debug({ holder: locked.holder }, 'stream busy: another job is reading it; it pulls once more when done');
    return { outcome: 'busy', holder: locked.holder };
  }
  const { pullMark } = locked;
  const followUp = async () => {
    if (pullMark === null) return false;
    logger.debug({ requestedBy: pullMark }, 'a pull was requested while this job held the stream: one more follows');
    await deps.enqueue({ ...stream, trigger: 'follow-up' }, followUpJobId(stream, pullMark));
    return true;
  };
  if (locked.value === 'superseded') return { outcome: 'superseded', followedUp: await followUp() };
  const summary = locked.value;
  const complete = summary?.complete ?? false;
  if (!complete) {
    // Read after the mark was taken, the continuation serves it too.
    const cursor = summary?.cursor ?? null;
    await deps.enqueue({ ...stream, trigger: 'continuation' }, continuationJobId(stream, job.id, cursor));
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
    fields = findModelFields(await deps.scriptsConfig.get({ signal: stop }), stream.providerConfigKey, stream.model);
  } catch (error) {
    if (stop.aborted) return null;
    throw error;
  }
  const { metrics } = deps;
  try {
    const summary = await replicateStream(
      { db: deps.db, nango: deps.nango, logger: deps.logger },
      {
        stream, schema: settings.schema, deletes: settings.deletes, fillfactor: settings.fillfactor, pageSize: settings.pageSize, fields,
        maxPages: settings.slicePages, signal: stop,
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

async function noteFailure(deps: SyncJobDeps, stream: StreamKey, job: SyncJobRef, error: unknown): Promise<void> {
  const attempt = job.attemptsMade + 1;
  const willRetry = !isTerminal(error) && attempt < job.attempts;
  const summary = { ...errorSummary(error), attempt, willRetry };
  deps.logger.error({ err: summary }, willRetry ? 'sync job failed; BullMQ retries it' : 'sync job failed for good');
  try {
    await recordStreamError(deps.db, stream, summary);
  } catch (recordError) {
    // The job's own failure is what matters; status misses this one error.
    deps.logger.warn({ err: errorSummary(recordError) }, 'could not store the failure on the stream');
  }
}

function emptySummary(): ReplicateSummary {
  return {
    pages: 0, records: 0, upserted: 0, deleted: 0, valueErrors: 0, rejected: 0, nulRemoved: 0, elapsedMs: 0, complete: false, cursor: null,
  };
}
