import { historyFor } from '../config/history-for.js';
import { type ConnectionOptions, type JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ReplicatorConfig } from '../config/replicator-config.js';
import type { Secret } from '../config/secret.js';
import type { BackfillJobInput } from '../jobs/backfill-job-data.js';
import type { BackfillStreamJobData } from '../jobs/backfill-stream-job-data.js';
import { createBackfillWorker } from '../jobs/create-backfill-worker.js';
import { drainWorker, runUntilFailure } from '../jobs/drain-worker.js';
import { processBackfillJob } from '../jobs/process-backfill-job.js';
import { type BackfillStreamDeps, processBackfillStreamJob } from '../jobs/process-backfill-stream-job.js';
import { BACKFILL_QUEUE, BACKFILL_STREAM_JOB } from '../jobs/queue-names.js';
import { type AutomaticBackfillOutcome, scheduleAutomaticBackfill } from '../jobs/schedule-automatic-backfill.js';
import { syncJobOptions } from '../jobs/sync-job-options.js';
import { streamLockKeyPrefix } from '../jobs/with-stream-lock.js';
import { createRedisLocks } from '../lock/redis-locks.js';
import { createNangoClient } from '../nango/nango-client.js';
import type { ReplicatorMetrics } from '../metrics/create-replicator-metrics.js';
import type { ScriptsConfigCache } from '../nango/scripts-config-cache.js';
import { bucketKey } from '../ratelimit/bucket-key.js';
import { composeRequestGates } from '../ratelimit/compose-request-gates.js';
import { createRedisRequestGate, rateLimitKeyPrefix } from '../ratelimit/redis-request-gate.js';
import type { RequestGate } from '../ratelimit/request-gate.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import type { StreamKey } from '../store/stream-key.js';
import type { CloseStack } from '../util/close-stack.js';

/** What jobs on `nango-backfill` carry: requests (`backfill`) and their children (`backfill-stream`). */
export type BackfillQueueData = BackfillJobInput | BackfillStreamJobData;

/** A stream job that finds its stream busy (or was interrupted) tries again after this long, ms. */
const RETRY_LATER_MS = 1000;
/** Progress of a stream job is written to Redis at most this often, ms. */
const PROGRESS_EVERY_MS = 500;

export interface OpenBackfillWorkerDeps {
  config: ReplicatorConfig;
  logger: Logger;
  redis: Redis;
  db: Kysely<ReplicatorDatabase>;
  scriptsConfig: ScriptsConfigCache;
  metrics?: ReplicatorMetrics;
  secretKey: Secret;
  /** The gate every Nango request of the process passes (the fleet's bucket, 429 handling). */
  fleetGate: RequestGate;
  fetch?: typeof fetch;
  connection: ConnectionOptions;
  /** `<host>:<pid>`. */
  owner: string;
  /** Aborts on shutdown: running backfills stop after their page in flight and run again later. */
  shutdown: AbortSignal;
  /** Where the queue and the worker register their close, in opening order. */
  stack: CloseStack;
  /** Time left before the shutdown deadline, ms. */
  remainingMs: () => number;
  /** How a backfill serves the sync requests that found its stream busy (see `BackfillStreamDeps.followUps`). */
  followUps?: BackfillStreamDeps['followUps'];
}

/** The backfill side of a worker process. */
export interface BackfillWorkerHandle {
  queue: Queue<BackfillQueueData>;
  /** Resolves if the BullMQ backfill worker's loop ends by itself (a fatal error). */
  failed: Promise<Error>;
  /** After a 429: no process takes new backfill jobs for `ms`. */
  pause(ms: number): Promise<void>;
  /** Queues a deduplicated `replace` backfill of one stream, logged with `reason` (see `scheduleAutomaticBackfill`). */
  scheduleReplace(stream: StreamKey, reason: string): Promise<AutomaticBackfillOutcome>;
  /** Whether the drain finished before the deadline; known once the stack has closed the worker. */
  drainedInTime(): boolean;
}

/**
 * Opens the `nango-backfill` queue and starts its worker (`backfill.concurrency` jobs at once). Backfill requests
 * go through their own Redis bucket, `<fleet bucket>:backfill`, sized to `backfill.budgetShare` of the fleet's
 * budget, and then through the fleet's bucket: backfills together never take more than their share, so
 * incremental syncs keep the rest.
 */
export function openBackfillWorker(deps: OpenBackfillWorkerDeps): BackfillWorkerHandle {
  const { config, logger } = deps;
  const rateLimit = config.nango.rateLimit;
  const cap = createRedisRequestGate(
    { redis: deps.redis, logger: logger.child({ component: 'ratelimit', bucket: 'backfill' }) },
    {
      key: `${bucketKey({ key: rateLimit.key, secretKey: deps.secretKey.reveal() })}:backfill`,
      keyPrefix: rateLimitKeyPrefix(config.redisKeyPrefix),
      requestsPerMinute: rateLimit.requestsPerMinute,
      share: rateLimit.share * config.backfill.budgetShare,
    },
  );
  const nango = createNangoClient(
    {
      fetch: deps.fetch ?? fetch,
      gate: composeRequestGates({ cap, shared: deps.fleetGate }),
      logger: logger.child({ component: 'nango', bucket: 'backfill' }),
    },
    {
      host: config.nango.host,
      secretKey: deps.secretKey,
      requestTimeoutMs: config.nango.requestTimeoutMs,
      retries: config.nango.retries,
      retryMinDelayMs: config.nango.retryMinDelayMs,
      retryMaxDelayMs: config.nango.retryMaxDelayMs,
    },
  );
  const queue = new Queue<BackfillQueueData>(BACKFILL_QUEUE, { connection: deps.connection, prefix: config.queuePrefix });
  queue.on('error', (error) => logger.warn({ err: { message: error.message } }, 'BullMQ backfill queue error'));
  deps.stack.push('backfill queue', () => queue.close());

  const jobOptions: JobsOptions = syncJobOptions({ attempts: config.worker.attempts, backoffMs: config.worker.backoffMs });
  const streamJobOptions: JobsOptions = { ...jobOptions, ignoreDependencyOnFailure: true };
  const locks = createRedisLocks(
    { redis: deps.redis, logger },
    { keyPrefix: streamLockKeyPrefix(config.redisKeyPrefix), ttlMs: config.worker.lockDurationMs },
  );
  const withShutdown = (signal: AbortSignal) => AbortSignal.any([signal, deps.shutdown]);
  const worker = createBackfillWorker(
    {
      logger,
      processBackfill: (job, token, signal) =>
        processBackfillJob(
          {
            nango,
            scriptsConfig: deps.scriptsConfig,
            logger,
            addStreamJobs: async (parent, jobs) => {
              for (let i = 0; i < jobs.length; i += 100) {
                const chunk = jobs.slice(i, i + 100).map((child) => ({
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
          { db: deps.db, nango, scriptsConfig: deps.scriptsConfig, locks, logger, metrics: deps.metrics, followUps: deps.followUps },
          {
            schema: config.target.schema,
            deletes: config.target.deletes,
            history: (stream) => historyFor(config, stream),
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
  deps.stack.push('backfill worker', async () => {
    drained = await drainWorker(worker, deps.remainingMs(), logger);
  });
  return {
    queue,
    failed: runUntilFailure(worker, deps.shutdown),
    pause: (ms) => queue.rateLimit(ms),
    scheduleReplace: (stream, reason) => scheduleAutomaticBackfill({ queue, logger }, stream, { reason, jobOptions }),
    drainedInTime: () => drained,
  };
}
