import { hostname } from 'node:os';
import { Queue } from 'bullmq';
import { Registry } from 'prom-client';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { requireSecretKey } from '../config/load-config.js';
import type { ReplicatorConfig } from '../config/replicator-config.js';
import { healthRoutes } from '../http/health-routes.js';
import { startHttpServer, type HttpRoutes } from '../http/start-http-server.js';
import { backfillOnRejectedCursor } from '../jobs/backfill-on-rejected-cursor.js';
import { createSyncWorker } from '../jobs/create-sync-worker.js';
import { startDiscoveryLoop } from '../jobs/discovery-loop.js';
import { drainWorker, runUntilFailure } from '../jobs/drain-worker.js';
import { processSyncJob, type SyncJobDeps, type SyncJobSettings } from '../jobs/process-sync-job.js';
import { BACKFILL_QUEUE, SYNC_JOB, SYNC_QUEUE } from '../jobs/queue-names.js';
import { reapAbandonedRuns } from '../jobs/reap-abandoned-runs.js';
import { reconcileSchedules } from '../jobs/reconcile-schedules.js';
import { recordStreamPeriods } from '../store/record-stream-periods.js';
import { requestStreamSync, type StreamSyncRequestOutcome } from '../jobs/request-stream-sync.js';
import { createStreamPullMarks, PULL_MARK_TTL_MS, pullMarkKeyPrefix } from '../jobs/stream-pull-marks.js';
import type { SyncJobInput } from '../jobs/sync-job-data.js';
import { syncJobOptions } from '../jobs/sync-job-options.js';
import { streamLockKeyPrefix } from '../jobs/with-stream-lock.js';
import { createRedisLocks } from '../lock/redis-locks.js';
import { createReplicatorMetrics } from '../metrics/create-replicator-metrics.js';
import { instrumentRequestGate } from '../metrics/instrument-request-gate.js';
import { loadFleetFigures } from '../metrics/load-fleet-figures.js';
import { loadStreamFreshness } from '../metrics/load-stream-freshness.js';
import { queueJobCounts } from '../metrics/queue-job-counts.js';
import { createScriptsConfigCache } from '../nango/scripts-config-cache.js';
import { notifyOnRateLimit } from '../ratelimit/notify-on-rate-limit.js';
import type { StreamKey } from '../store/stream-key.js';
import { createCloseStack } from '../util/close-stack.js';
import { withInfrastructureErrors } from '../errors/describe-infrastructure-error.js';
import { connectRedis } from './connect-redis.js';
import { createFleetGate } from './fleet-gate.js';
import { type App, openApp } from './open-app.js';
import { type BackfillWorkerHandle, openBackfillWorker } from './open-backfill-worker.js';
import { workerRoutes } from './worker-routes.js';

/** A running worker process: its HTTP port, and how to stop it. */
export interface RunningWorker {
  readonly httpPort: number;
  /** Resolves if BullMQ's loop ends by itself (a fatal error): the process should then shut down. */
  readonly failed: Promise<Error>;
  /**
   * Stops taking jobs and asks the jobs running to stop after their page in flight (it commits or rolls back),
   * waits for them until `deadlineMs` from now, then closes everything in the reverse order of opening.
   * Resolves `drained: false` when jobs were still running at the deadline (they were abandoned). Idempotent.
   */
  close(deadlineMs: number): Promise<{ drained: boolean }>;
}

export interface OpenWorkerDeps {
  config: ReplicatorConfig;
  logger: Logger;
  fetch?: typeof fetch;
  /** Extra HTTP routes (webhooks, metrics, status page) next to health and readiness, given what they may use. */
  routes?: (context: WorkerContext) => ReadonlyArray<HttpRoutes>;
}

/** What extra routes may use: the database, the sync queue, and the way to ask for an immediate pull. */
export interface WorkerContext {
  db: App['db'];
  queue: Queue<SyncJobInput>;
  /** See `requestStreamSync`: deduplicated, never overlapping the stream's running job. */
  requestSync(stream: StreamKey, trigger: 'webhook' | 'manual'): Promise<StreamSyncRequestOutcome>;
}

/**
 * Opens, in order: Redis, Postgres (and its migrations), the `nango-sync` queue, the HTTP server, the
 * `nango-backfill` queue and its worker (see `openBackfillWorker`), the worker consuming `nango-sync` and the
 * discovery loop; `close` undoes them in reverse. Every Nango request takes a token
 * from the fleet's shared bucket; a 429 also pauses the queue (BullMQ's rate limit, the same call as the
 * deprecated `worker.rateLimit`) so no process starts new jobs meanwhile.
 */
export async function openWorker(deps: OpenWorkerDeps): Promise<RunningWorker> {
  const { config, logger } = deps;
  const owner = `${hostname()}:${process.pid}`;
  const stack = createCloseStack(logger);
  const shutdown = new AbortController();
  const connection = { url: config.redisUrl.reveal(), connectionName: 'nango-replicator-bullmq' };
  let deadlineAt = Infinity;
  const remainingMs = () => Math.max(1000, deadlineAt - performance.now());
  try {
    const secretKey = requireSecretKey(config);
    const redis = new Redis(config.redisUrl.reveal(), { connectionName: 'nango-replicator', lazyConnect: true });
    redis.on('error', (error) => logger.warn({ err: { message: error.message } }, 'Redis connection error'));
    stack.push('redis', () => redis.quit());
    await connectRedis(redis, config.redisUrl);
    let pauseQueue: (ms: number) => Promise<void> = async () => {};
    let queueRef: Queue<SyncJobInput> | undefined;
    let backfillQueueRef: Queue | undefined;
    const registry = new Registry();
    const metrics = createReplicatorMetrics(registry, {
      streams: () => loadStreamFreshness(app.db),
      fleet: () => loadFleetFigures(app.db),
      queues: [queueJobCounts(SYNC_QUEUE, () => queueRef), queueJobCounts(BACKFILL_QUEUE, () => backfillQueueRef)],
      onSourceError: (source, error) => logger.warn({ source, err: { message: String(error) } }, 'a metrics source failed'),
    }, { perStream: config.metrics.perStream });
    const gate = createFleetGate({ redis, logger }, config, secretKey);
    const fleetGate = instrumentRequestGate(notifyOnRateLimit(gate, (ms) => pauseQueue(ms), logger), metrics);
    const app = await openApp({
      config,
      logger,
      fetch: deps.fetch,
      gate: fleetGate,
      maxConnections: config.worker.concurrency + config.backfill.concurrency + 2,
    });
    stack.push('postgres', () => app.close());

    const queue = new Queue<SyncJobInput>(SYNC_QUEUE, { connection, prefix: config.queuePrefix });
    queue.on('error', (error) => logger.warn({ err: { message: error.message } }, 'BullMQ queue error'));
    stack.push('queue', () => queue.close());
    queueRef = queue;
    pauseQueue = async (ms) => {
      logger.warn({ pauseMs: ms }, 'Nango answered 429: no process takes new jobs meanwhile');
      await queue.rateLimit(ms);
      await backfill?.pause(ms);
    };
    const jobOptions = syncJobOptions({ attempts: config.worker.attempts, backoffMs: config.worker.backoffMs });

    let worker: ReturnType<typeof createSyncWorker> | undefined;
    let backfill: BackfillWorkerHandle | undefined;
    const context: WorkerContext = {
      db: app.db,
      queue,
      requestSync: (stream, trigger) => requestStreamSync(queue, stream, { trigger, jobOptions }),
    };
    const http = await withInfrastructureErrors({ service: 'http', port: config.httpPort }, () => startHttpServer({ logger: logger.child({ component: 'http' }) }, {
      port: config.httpPort,
      routes: [
        healthRoutes([
          { name: 'postgres', check: async () => void (await sql`SELECT 1`.execute(app.db)) },
          { name: 'redis', check: async () => void (await redis.ping()) },
          { name: 'worker', check: async () => assertRunning(worker, shutdown.signal) },
        ]),
        ...workerRoutes({
          config, logger, db: app.db, registry, metrics, requestSync: context.requestSync,
          requestReplace: async (stream, reason) => {
            if (backfill === undefined) throw new Error('backfills are not started yet');
            return backfill.scheduleReplace(stream, reason);
          },
        }),
        ...(deps.routes?.(context) ?? []),
      ],
    }));
    stack.push('http', () => http.close());

    const scriptsConfig = createScriptsConfigCache({ nango: app.nango }, { maxAgeMs: config.discovery.everyMs, signal: shutdown.signal });
    const pullMarks = createStreamPullMarks({ redis }, { keyPrefix: pullMarkKeyPrefix(config.redisKeyPrefix), ttlMs: PULL_MARK_TTL_MS });
    const enqueueSync = async (data: SyncJobInput, jobId: string) => void (await queue.add(SYNC_JOB, data, { ...jobOptions, jobId }));
    backfill = openBackfillWorker({
      config, logger, redis, db: app.db, scriptsConfig, metrics, secretKey, fleetGate, fetch: deps.fetch, connection, owner,
      shutdown: shutdown.signal, stack, remainingMs,
      followUps: { pullMarks, enqueue: enqueueSync },
    });
    const backfills = backfill;
    backfillQueueRef = backfills.queue;
    const locks = createRedisLocks(
      { redis, logger },
      { keyPrefix: streamLockKeyPrefix(config.redisKeyPrefix), ttlMs: config.worker.lockDurationMs },
    );
    const jobDeps: SyncJobDeps = {
      db: app.db,
      nango: app.nango,
      scriptsConfig,
      locks,
      pullMarks,
      logger,
      metrics,
      enqueue: enqueueSync,
    };
    const settings: SyncJobSettings = {
      schema: config.target.schema,
      deletes: config.target.deletes,
      fillfactor: config.target.fillfactor,
      pageSize: config.nango.pageSize,
      slicePages: config.worker.slicePages,
      owner,
    };
    worker = createSyncWorker(
      {
        logger,
        process: backfillOnRejectedCursor(
          (job, signal) => processSyncJob(jobDeps, settings, job, AbortSignal.any([signal, shutdown.signal])),
          {
            schedule: (stream, reason) => backfills.scheduleReplace(stream, reason),
            logger,
          },
        ),
      },
      {
        connection,
        prefix: config.queuePrefix,
        name: owner,
        concurrency: config.worker.concurrency,
        lockDurationMs: config.worker.lockDurationMs,
      },
    );
    const running = worker;
    let drainedInTime = true;
    stack.push('worker', async () => {
      drainedInTime = await drainWorker(running, remainingMs(), logger);
    });
    const failed = Promise.race([runUntilFailure(running, shutdown.signal), backfills.failed]);

    const discovery = startDiscoveryLoop(
      {
        redis,
        logger: logger.child({ component: 'discovery' }),
        sweep: async (signal) =>
          void (await reapAbandonedRuns({ db: app.db, locks, logger: logger.child({ component: 'sweep' }) }, { signal })),
        reconcile: (signal) =>
          reconcileSchedules(
            {
              nango: app.nango, scriptsConfig, queue, logger: logger.child({ component: 'discovery' }),
              onDesired: (streams) => recordStreamPeriods(app.db, streams),
            },
            { rules: config.streams, jobOptions, signal },
          ),
      },
      { everyMs: config.discovery.everyMs, leaseKey: `${config.redisKeyPrefix}discovery-lease`, owner },
    );
    stack.push('discovery', () => discovery.close());
    logger.info({ owner, concurrency: config.worker.concurrency, rules: config.streams.length, httpPort: http.port }, 'worker started');

    return {
      httpPort: http.port,
      failed,
      async close(deadlineMs) {
        if (!shutdown.signal.aborted) {
          deadlineAt = performance.now() + deadlineMs;
          shutdown.abort(new Error('shutting down'));
        }
        await stack.closeAll({ stepTimeoutMs: remainingMs });
        return { drained: drainedInTime && backfills.drainedInTime() };
      },
    };
  } catch (error) {
    shutdown.abort(error);
    await stack.closeAll({ stepTimeoutMs: () => 5000 });
    throw error;
  }
}

function assertRunning(worker: { isRunning(): boolean } | undefined, shutdown: AbortSignal): void {
  if (shutdown.aborted) throw new Error('shutting down');
  if (!worker?.isRunning()) throw new Error('not running');
}
