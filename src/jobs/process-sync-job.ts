import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { isTerminal, ReplicatorError } from '../errors/replicator-error.js';
import type { RedisLocks } from '../lock/redis-locks.js';
import type { NangoClient } from '../nango/nango-client.js';
import type { ScriptsConfigCache } from '../nango/scripts-config-cache.js';
import { errorSummary, replicateStream, type ReplicateSummary } from '../replicate/replicate-stream.js';
import type { ReplicatorMetrics } from '../metrics/create-replicator-metrics.js';
import { pageMetricsRecorder } from '../metrics/page-metrics-recorder.js';
import { recordRunMetrics } from '../metrics/record-run-metrics.js';
import { findModelFields } from '../schema/model-fields.js';
import { recordStreamError } from '../store/record-stream-error.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import type { StreamKey } from '../store/stream-key.js';
import { busyRetryJobId, continuationJobId } from './stream-ids.js';
import { parseSyncJobData, streamOf, type SyncJobInput } from './sync-job-data.js';
import { withStreamLock } from './with-stream-lock.js';

export interface SyncJobDeps {
  db: Kysely<ReplicatorDatabase>;
  nango: NangoClient;
  scriptsConfig: ScriptsConfigCache;
  locks: RedisLocks;
  logger: Logger;
  /** Per-stream counters (pages, rows, value errors, runs); optional so a test can leave them out. */
  metrics?: ReplicatorMetrics;
  /** Adds a job to `nango-sync` with this id (a no-op if it exists), after `delayMs` if given. */
  enqueue(data: SyncJobInput, jobId: string, options?: { delayMs?: number }): Promise<void>;
}

export interface SyncJobSettings {
  /** Postgres schema of the model tables. */
  schema: string;
  deletes: 'soft' | 'hard';
  pageSize: number;
  /** Pages one job reads before it re-queues the rest of the stream. */
  slicePages: number;
  /** Who this process is, stored in the locks it holds: `<host>:<pid>`. */
  owner: string;
  /** How long a requested pull (webhook, manual) that found its stream busy waits before trying again, ms. */
  busyRetryMs: number;
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
  | ({ outcome: 'synced'; continued: boolean } & Omit<ReplicateSummary, 'elapsedMs'>)
  /**
   * Another job holds the stream. A scheduled job or continuation ends here: the holder reads to the end. A
   * requested pull (webhook, manual) comes back after `busyRetryMs`, as the holder may have read its last page
   * before the change it was asked for.
   */
  | { outcome: 'busy'; holder: string | null; retryLater: boolean }
  /** Another run moved the cursor under this one (the lock expired); its page rolled back and that run carries on. */
  | { outcome: 'superseded' };

/**
 * Runs one bounded slice of one stream: takes the stream's lock (else ends at once: the holder reads to the end;
 * see `withStreamLock`, which also closes runs a dead process left `running`),
 * replicates at most `slicePages` pages, and if the stream is not at its end, queues the continuation behind the
 * jobs already waiting, so every stream gets its turn. `signal` (shutdown, or the lock lost) stops between pages.
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
  const logger = deps.logger.child({ integration: stream.providerConfigKey, connection: stream.connectionId, model: stream.model, jobId: job.id });
  const locked = await withStreamLock({ ...deps, logger }, { stream, owner: `${settings.owner} job ${job.id}`, signal }, async (stop) => {
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
    const retryLater = data.trigger === 'webhook' || data.trigger === 'manual';
    logger.debug({ holder: locked.holder, retryLater }, 'stream busy: another job is reading it');
    if (retryLater) await deps.enqueue(data, busyRetryJobId(stream, job.id), { delayMs: settings.busyRetryMs });
    return { outcome: 'busy', holder: locked.holder, retryLater };
  }
  if (locked.value === 'superseded') return { outcome: 'superseded' };
  const summary = locked.value;
  const complete = summary?.complete ?? false;
  if (!complete) {
    const cursor = summary?.cursor ?? null;
    await deps.enqueue({ ...stream, trigger: 'continuation' }, continuationJobId(stream, job.id, cursor));
  }
  const { elapsedMs: _elapsed, ...counts } = summary ?? emptySummary();
  return { outcome: 'synced', ...counts, complete, continued: !complete };
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
        stream, schema: settings.schema, deletes: settings.deletes, pageSize: settings.pageSize, fields, maxPages: settings.slicePages, signal: stop,
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
  return { pages: 0, records: 0, upserted: 0, deleted: 0, valueErrors: 0, rejected: 0, nulRemoved: 0, elapsedMs: 0, complete: false, cursor: null };
}
