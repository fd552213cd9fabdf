import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { RedisLocks } from '../../lock/redis-locks.js';
import type { ReplicatorMetrics } from '../../metrics/create-replicator-metrics.js';
import { recordRunMetrics } from '../../metrics/record-run-metrics.js';
import type { NangoClient } from '../../nango/nango-client.js';
import type { ModelFieldsLookup } from '../../replicate/model-fields-lookup.js';
import { type ReplicateSummary } from '../../replicate/replicate-stream.js';
import type { ModelField } from '../../schema/model-fields.js';
import { clearPassRecords, deleteUnseenRows, type DeleteUnseenResult } from '../../write/delete-unseen-rows.js';
import { databaseNow } from '../../store/database-now.js';
import { ensureModelTable } from '../../store/ensure-model-table.js';
import { recordBackfillOutcome } from '../../store/record-backfill-outcome.js';
import type { ReplicatorDatabase } from '../../store/replicator-tables.js';
import type { StreamKey } from '../../stream/stream-key.js';
import { modifiedAfterOf } from './backfill-job-data.js';
import { type BackfillStreamProgress, createProgressReporter } from './backfill-progress.js';
import { readResumePoint } from './backfill-resume-point.js';
import { backfillStreamOf, type BackfillStreamJobData, parseBackfillStreamJobData } from './backfill-stream-job-data.js';
import { readBackfillPass } from './read-backfill-pass.js';
import { followUpJobId } from '../../stream/stream-ids.js';
import type { StreamPullMarks } from '../../lock/stream-pull-marks.js';
import type { SyncJobInput } from '../sync/sync-job-data.js';
import { runStreamJob } from '../../lock/run-stream-job.js';
import { streamMessageFields } from '../../stream/stream-message-fields.js';

export interface BackfillStreamDeps {
  db: Kysely<ReplicatorDatabase>;
  /** A client whose requests pass the backfill share of the budget as well as the fleet's bucket. */
  nango: NangoClient;
  /** The model's fields: the worker's lookup, cached for all its jobs. */
  modelFields: ModelFieldsLookup;
  locks: RedisLocks;
  logger: Logger;
  /** Per-stream counters, as for sync jobs (runs of kind `backfill`); optional so a test can leave them out. */
  metrics?: ReplicatorMetrics;
  /** Clock for the 12-month check of `since`, epoch ms. Default Date.now. */
  now?: () => number;
  /**
   * Sync jobs that find the stream busy during the backfill leave a pull mark; with this the backfill serves it
   * afterwards by adding one follow-up sync job (`enqueue` adds a job to `nango-sync` with this id, a no-op if it
   * exists). Without it the marks wait for the stream's next sync job.
   */
  followUps?: { pullMarks: StreamPullMarks; enqueue(data: SyncJobInput, jobId: string): Promise<void> };
}

export interface BackfillStreamSettings {
  schema: string;
  deletes: 'soft' | 'hard';
  /** Whether a stream's table keeps every version (`historyFor`); absent: no history. */
  history?: (stream: StreamKey) => boolean;
  /** Fillfactor of the model tables (see `ReplicateOptions.fillfactor`). */
  fillfactor: number;
  pageSize: number;
  /** A replace pass refuses to delete more than this fraction of the stream's live rows unless forced (0..1). */
  maxDeleteFraction: number;
  /** `<host>:<pid>`, stored in the stream lock. */
  owner: string;
  /** Progress is reported at most this often, ms. */
  progressEveryMs: number;
}

/** The job as the processor needs it, free of BullMQ types. */
export interface BackfillStreamJobRef {
  id: string;
  data: unknown;
  attemptsMade: number;
  attempts: number;
  /** The job's progress as stored when it was taken: a job run again finds its resume point there. */
  progress: unknown;
  reportProgress(progress: BackfillStreamProgress): Promise<void>;
}

/** What one stream's backfill did; the BullMQ return value of a completed `backfill-stream` job. */
export interface BackfillStreamReport extends Omit<ReplicateSummary, 'complete' | 'cursor'> {
  /** `refused`: a replace pass whose deletes the circuit breaker refused (see `reason`). */
  outcome: 'merged' | 'replaced' | 'refused';
  stream: StreamKey;
  mode: BackfillStreamJobData['mode'];
  since: string | null;
  /** Rows deleted because the replace pass did not see them (on top of `deleted`, Nango's own tombstones). */
  unseenDeleted: number;
  /** Replace only: live rows of the stream at the end of the pass, and how many the pass did not see. */
  liveRows?: number;
  wouldDelete?: number;
  reason?: string;
}

export type BackfillStreamResult =
  | BackfillStreamReport
  /** Another job reads the stream: come back later (the caller re-delays the job; nothing is dropped). */
  | { outcome: 'busy'; holder: string | null }
  /** Stopped before the end (shutdown, or the stream lock was lost): run again later, after the last committed page. */
  | { outcome: 'interrupted' };

/**
 * Backfills one stream under the stream's lock, so it never overlaps the stream's incremental sync: reads it from
 * the beginning (or from `since`) with the engine's `full` mode, which upserts and never moves the cursor back,
 * and for `replace` then deletes the rows the pass did not see, unless the circuit breaker refuses. The outcome is
 * stored on the stream for `status`; failures too, then rethrown (terminal ones must not be retried).
 *
 * After each committed page the pass's position (Nango's cursor at the page's end, with the pass's start time and
 * totals) goes into the job's progress; a job run again (after a shutdown, a lost lock or a transient failure)
 * continues after it. A replace pass continued this way keeps its original start time, so the rows it deletes are
 * still exactly those no attempt of the pass wrote.
 */
export async function processBackfillStreamJob(
  deps: BackfillStreamDeps,
  settings: BackfillStreamSettings,
  job: BackfillStreamJobRef,
  signal: AbortSignal,
): Promise<BackfillStreamResult> {
  const data = parseBackfillStreamJobData(job.data);
  const stream = backfillStreamOf(data);
  const { followUps } = deps;
  return runStreamJob<BackfillStreamResult, BackfillStreamResult>(
    { ...deps, pullMarks: followUps?.pullMarks },
    {
      stream,
      owner: `${settings.owner} backfill ${job.id}`,
      signal,
      logFields: { jobId: job.id },
      interruptOnStop: true,
      failure: {
        what: 'backfill',
        attempts: { made: job.attemptsMade, allowed: job.attempts },
        onFailure: async (summary) => {
          if (deps.metrics) recordRunMetrics(deps.metrics, stream, { kind: 'backfill', status: 'failed' });
          await recordBackfillOutcome(deps.db, stream, { jobId: job.id, mode: data.mode, outcome: 'failed', error: summary });
        },
      },
      read: async (stop, logger) => {
        const report = await backfill({ ...deps, logger }, settings, { data, stream, job }, stop);
        if (report === null) return { outcome: 'interrupted' };
        if (deps.metrics) recordRunMetrics(deps.metrics, stream, { kind: 'backfill', status: 'succeeded' });
        await recordBackfillOutcome(deps.db, stream, { jobId: job.id, ...outcomeFacts(report) });
        return report;
      },
      busy: (busy, logger) => {
        logger.debug({ holder: busy.holder }, 'stream busy: the backfill waits for the job reading it');
        return { outcome: 'busy', holder: busy.holder };
      },
      // The backfill's pull-mark policy: one follow-up sync job serves the requests that found it holding the stream.
      afterRelease: async (pullMark, read, logger) => {
        if (pullMark !== null && followUps !== undefined) {
          logger.debug({ requestedBy: pullMark }, 'a sync was requested while the backfill held the stream: one follows');
          await followUps.enqueue({ ...streamMessageFields(stream), trigger: 'follow-up' }, followUpJobId(stream, pullMark));
        }
        return read.status === 'read' ? read.value : { outcome: 'interrupted' };
      },
    },
  );
}

/** The pass itself; null when stopped before the end. */
async function backfill(
  deps: BackfillStreamDeps,
  settings: BackfillStreamSettings,
  run: { data: BackfillStreamJobData; stream: StreamKey; job: BackfillStreamJobRef },
  stop: AbortSignal,
): Promise<BackfillStreamReport | null> {
  const { data, stream } = run;
  const modifiedAfter = data.since === undefined ? undefined : modifiedAfterOf(data.since, (deps.now ?? Date.now)());
  const fields = await deps.modelFields(stream, stop);
  const resumed = readResumePoint(run.job.progress);
  // Before the pass: every row it writes gets `_nango_synced_at = now()` of a later transaction. A continued pass
  // keeps the start of its first attempt, so the rows earlier attempts wrote still count as seen.
  const passStartedAt = resumed === null ? await databaseNow(deps.db) : new Date(resumed.passStartedAt);
  const progress = createProgressReporter(run.job.reportProgress, { minIntervalMs: settings.progressEveryMs, logger: deps.logger });
  if (resumed !== null) progress.page(resumed.totals, resumed); // watchers see the pass's totals from the start
  if (resumed === null) deps.logger.info({ mode: data.mode, since: data.since, force: data.force }, 'backfill started');
  else
    deps.logger.info(
      { mode: data.mode, since: data.since, force: data.force, pages: resumed.totals.pages, records: resumed.totals.records },
      'backfill continues after its last committed page',
    );
  // A pass from the beginning forgets what an earlier, unfinished replace pass saw.
  if (resumed === null && data.mode === 'replace') await clearPassRecords(deps.db, stream);
  const pass = { stream, fields, modifiedAfter, passStartedAt, replace: data.mode === 'replace', resumed, progress };
  const summary = await readBackfillPass(deps, settings, pass, stop);
  if (!summary.complete) {
    await progress.flush();
    deps.logger.info({ pages: summary.pages }, 'backfill stopped before the end; it runs again later, after its last committed page');
    return null;
  }
  const { complete: _complete, cursor: _cursor, ...counts } = summary;
  const base = { ...counts, stream, mode: data.mode, since: data.since ?? null, unseenDeleted: 0 };
  if (data.mode === 'merge') {
    await progress.flush();
    deps.logger.info(counts, 'backfill finished');
    return { ...base, outcome: 'merged' };
  }
  progress.phase('deleting');
  const deleted = await deleteUnseen(deps, settings, { stream, fields, passStartedAt, force: data.force });
  await progress.flush();
  if (deleted.refused) {
    deps.logger.warn({ wouldDelete: deleted.wouldDelete, liveRows: deleted.liveRows }, `backfill deletes refused: ${deleted.reason}`);
    return { ...base, outcome: 'refused', liveRows: deleted.liveRows, wouldDelete: deleted.wouldDelete, reason: deleted.reason };
  }
  deps.logger.info({ ...counts, unseenDeleted: deleted.deleted }, 'backfill finished');
  return { ...base, outcome: 'replaced', unseenDeleted: deleted.deleted, liveRows: deleted.liveRows };
}

async function deleteUnseen(
  deps: BackfillStreamDeps,
  settings: BackfillStreamSettings,
  pass: { stream: StreamKey; fields: ModelField[] | null; passStartedAt: Date; force: boolean },
): Promise<DeleteUnseenResult> {
  // The table exists (the pass created it); this only returns its layout.
  const layout = await ensureModelTable(deps, {
    schema: settings.schema,
    model: pass.stream.model,
    fields: pass.fields,
    fillfactor: settings.fillfactor,
  });
  return deleteUnseenRows(deps.db, {
    layout,
    stream: pass.stream,
    passStartedAt: pass.passStartedAt,
    deletes: settings.deletes,
    maxDeleteFraction: settings.maxDeleteFraction,
    force: pass.force,
  });
}

/** What `status` shows of a finished backfill. */
function outcomeFacts(report: BackfillStreamReport): Record<string, unknown> {
  const { stream: _stream, elapsedMs, ...facts } = report;
  return { ...facts, elapsedMs: Math.round(elapsedMs) };
}
