import type { StreamKey } from '../stream/stream-key.js';
import { historyFor } from '../config/history-for.js';
import type { ConnectionOptions, JobsOptions, Queue } from 'bullmq';
import { listKnownVariants } from '../store/list-known-variants.js';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ReplicatorConfig } from '../config/replicator-config.js';
import type { BackfillJobInput } from '../jobs/backfill/backfill-job-data.js';
import type { BackfillStreamJobInput } from '../jobs/backfill/backfill-stream-job-data.js';
import { createBackfillWorker } from '../jobs/backfill/create-backfill-worker.js';
import { drainWorker, runUntilFailure } from '../jobs/queue/drain-worker.js';
import { processBackfillJob } from '../jobs/backfill/process-backfill-job.js';
import { type BackfillStreamDeps, processBackfillStreamJob } from '../jobs/backfill/process-backfill-stream-job.js';
import { BACKFILL_STREAM_JOB } from '../jobs/queue/queue-names.js';
import type { RedisLocks } from '../lock/redis-locks.js';
import type { ReplicatorMetrics } from '../metrics/create-replicator-metrics.js';
import type { NangoClient } from '../nango/nango-client.js';
import type { ScriptsConfigCache } from '../nango/scripts-config-cache.js';
import type { ModelFieldsLookup } from '../replicate/model-fields-lookup.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import type { CloseStack } from '../util/close-stack.js';
import type { RunningConsumer } from './running-consumer.js';

/** What jobs on `nango-backfill` carry: requests (`backfill`) and their children (`backfill-stream`). */
export type BackfillQueueData = BackfillJobInput | BackfillStreamJobInput;

/** A stream job that finds its stream busy (or was interrupted) tries again after this long, ms. */
const RETRY_LATER_MS = 1000;
/** Progress of a stream job is written to Redis at most this often, ms. */
const PROGRESS_EVERY_MS = 500;
/** Stream jobs a backfill request adds per `addBulk` call. */
const ADD_BULK_CHUNK = 100;

export interface BackfillConsumerDeps {
  config: ReplicatorConfig;
  logger: Logger;
  db: Kysely<ReplicatorDatabase>;
  /** A client whose requests pass the backfill share of the budget as well as the fleet's bucket. */
  nango: NangoClient;
  /** For a backfill request: the integration's syncs and models. */
  scriptsConfig: ScriptsConfigCache;
  /** For a stream job: the model's fields (the worker's cached lookup). */
  modelFields: ModelFieldsLookup;
  locks: RedisLocks;
  metrics?: ReplicatorMetrics;
  /** `nango-backfill`, where a request adds its stream jobs. */
  queue: Queue<BackfillQueueData>;
  connection: ConnectionOptions;
  /** The options every job gets (attempts, backoff); stream jobs also ignore a failed sibling. */
  jobOptions: JobsOptions;
  /** `<host>:<pid>`. */
  owner: string;
  /** Aborts on shutdown: running backfills stop after their page in flight and run again later. */
  shutdown: AbortSignal;
  /** How a backfill serves the sync requests that found its stream busy (see `BackfillStreamDeps.followUps`). */
  followUps?: BackfillStreamDeps['followUps'];
}

/**
 * Starts the worker consuming `nango-backfill` (`backfill.concurrency` jobs at once) and registers its drain on
 * `drains` (see `drainWorker`; `remainingMs`: time left before the shutdown deadline).
 */
export function startBackfillConsumer(
  deps: BackfillConsumerDeps,
  drains: { stack: CloseStack; remainingMs: () => number },
): RunningConsumer {
  const { config, logger, queue } = deps;
  const streamJobOptions: JobsOptions = { ...deps.jobOptions, ignoreDependencyOnFailure: true };
  const withShutdown = (signal: AbortSignal) => AbortSignal.any([signal, deps.shutdown]);
  const worker = createBackfillWorker(
    {
      logger,
      processBackfill: (job, token, signal) =>
        processBackfillJob(
          {
            nango: deps.nango,
            scriptsConfig: deps.scriptsConfig,
            knownVariants: (integrations) => listKnownVariants(deps.db, integrations),
            logger,
            addStreamJobs: async (parent, jobs) => {
              for (let i = 0; i < jobs.length; i += ADD_BULK_CHUNK) {
                const chunk = jobs.slice(i, i + ADD_BULK_CHUNK).map((child) => ({
                  name: BACKFILL_STREAM_JOB,
                  data: child.data,
                  opts: { ...streamJobOptions, jobId: child.id, parent },
                }));
                await queue.addBulk(chunk);
              }
            },
          },
          job,
          token,
          withShutdown(signal),
        ),
      processStream: (job, signal) =>
        processBackfillStreamJob(
          {
            db: deps.db,
            nango: deps.nango,
            modelFields: deps.modelFields,
            locks: deps.locks,
            logger,
            metrics: deps.metrics,
            followUps: deps.followUps,
          },
          {
            schema: config.target.schema,
            deletes: config.target.deletes,
            history: (stream: StreamKey) => historyFor(config, stream),
            fillfactor: config.target.fillfactor,
            pageSize: config.nango.pageSize,
            maxDeleteFraction: config.backfill.maxDeleteFraction,
            owner: deps.owner,
            progressEveryMs: PROGRESS_EVERY_MS,
          },
          job,
          withShutdown(signal),
        ),
    },
    {
      connection: deps.connection,
      prefix: config.queuePrefix,
      name: deps.owner,
      concurrency: config.backfill.concurrency,
      lockDurationMs: config.worker.lockDurationMs,
      retryLaterMs: RETRY_LATER_MS,
    },
  );
  let drained = true;
  drains.stack.push('backfill worker', async () => {
    drained = await drainWorker(worker, drains.remainingMs(), logger);
  });
  return { isRunning: () => worker.isRunning(), failed: runUntilFailure(worker, deps.shutdown), drainedInTime: () => drained };
}
