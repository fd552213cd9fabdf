import { hostname } from 'node:os';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { requireSecretKey } from '../config/load-config.js';
import type { ReplicatorConfig } from '../config/replicator-config.js';
import { healthRoutes } from '../http/health-routes.js';
import { startHttpServer, type HttpRoutes } from '../http/start-http-server.js';
import { createSyncWorker } from '../jobs/create-sync-worker.js';
import { startDiscoveryLoop } from '../jobs/discovery-loop.js';
import { processSyncJob, type SyncJobDeps, type SyncJobSettings } from '../jobs/process-sync-job.js';
import { SYNC_QUEUE } from '../jobs/queue-names.js';
import { reconcileSchedules } from '../jobs/reconcile-schedules.js';
import type { SyncJobInput } from '../jobs/sync-job-data.js';
import { syncJobOptions } from '../jobs/sync-job-options.js';
import { createRedisLocks } from '../lock/redis-locks.js';
import { createScriptsConfigCache } from '../nango/scripts-config-cache.js';
import { bucketKey } from '../ratelimit/bucket-key.js';
import { notifyOnRateLimit } from '../ratelimit/notify-on-rate-limit.js';
import { createRedisRequestGate } from '../ratelimit/redis-request-gate.js';
import { createCloseStack } from '../util/close-stack.js';
import { openApp } from './open-app.js';

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
  /** Extra HTTP routes (webhooks, metrics, status page) next to health and readiness. */
  routes?: ReadonlyArray<HttpRoutes>;
}

/**
 * Opens, in order: Postgres (and its migrations), Redis, the HTTP server, the `nango-sync` queue, the worker
 * consuming it and the discovery loop. Every Nango request takes a token from the fleet's shared bucket; a 429
 * also pauses the queue (BullMQ's rate limit) so no process starts new jobs meanwhile.
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
    await redis.connect();
    let pauseQueue: (ms: number) => Promise<void> = async () => {};
    const gate = createRedisRequestGate(
      { redis, logger: logger.child({ component: 'ratelimit' }) },
      {
        key: bucketKey({ key: config.nango.rateLimit.key, secretKey: secretKey.reveal() }),
        keyPrefix: `${config.redisKeyPrefix}ratelimit:`,
        requestsPerMinute: config.nango.rateLimit.requestsPerMinute,
        share: config.nango.rateLimit.share,
      },
    );
    const app = await openApp({
      config,
      logger,
      fetch: deps.fetch,
      gate: notifyOnRateLimit(gate, (ms) => pauseQueue(ms), logger),
      maxConnections: config.worker.concurrency + 2,
    });
    stack.push('postgres', () => app.close());

    let worker: ReturnType<typeof createSyncWorker> | undefined;
    const http = await startHttpServer({ logger: logger.child({ component: 'http' }) }, {
      port: config.httpPort,
      routes: [
        healthRoutes([
          { name: 'postgres', check: async () => void (await sql`SELECT 1`.execute(app.db)) },
          { name: 'redis', check: async () => void (await redis.ping()) },
          { name: 'worker', check: async () => assertRunning(worker, shutdown.signal) },
        ]),
        ...(deps.routes ?? []),
      ],
    });
    stack.push('http', () => http.close());

    const queue = new Queue<SyncJobInput>(SYNC_QUEUE, { connection, prefix: config.queuePrefix });
    queue.on('error', (error) => logger.warn({ err: { message: error.message } }, 'BullMQ queue error'));
    stack.push('queue', () => queue.close());
    pauseQueue = async (ms) => {
      logger.warn({ pauseMs: ms }, 'Nango answered 429: no process takes new jobs meanwhile');
      await queue.rateLimit(ms);
    };
    const jobOptions = syncJobOptions({ attempts: config.worker.attempts, backoffMs: config.worker.backoffMs });
    const scriptsConfig = createScriptsConfigCache({ nango: app.nango }, { maxAgeMs: config.discovery.everyMs, signal: shutdown.signal });
    const jobDeps: SyncJobDeps = {
      db: app.db,
      nango: app.nango,
      scriptsConfig,
      locks: createRedisLocks({ redis, logger }, { keyPrefix: `${config.redisKeyPrefix}lock:`, ttlMs: config.worker.lockDurationMs }),
      logger,
      enqueue: async (data, jobId) => void (await queue.add('sync', data, { ...jobOptions, jobId })),
    };
    const settings: SyncJobSettings = {
      schema: config.target.schema,
      deletes: config.target.deletes,
      pageSize: config.nango.pageSize,
      slicePages: config.worker.slicePages,
      owner,
    };
    worker = createSyncWorker(
      { logger, process: (job, signal) => processSyncJob(jobDeps, settings, job, AbortSignal.any([signal, shutdown.signal])) },
      { connection, prefix: config.queuePrefix, name: owner, concurrency: config.worker.concurrency, lockDurationMs: config.worker.lockDurationMs },
    );
    const running = worker;
    let drainedInTime = true;
    stack.push('worker', async () => {
      drainedInTime = await drain(running, remainingMs, logger);
    });
    // Resolves only if the loop ends while nobody asked it to: a fatal error.
    const failed = new Promise<Error>((resolve) => {
      const ended = (error: unknown) => {
        if (!shutdown.signal.aborted) resolve(error instanceof Error ? error : new Error('the BullMQ worker stopped'));
      };
      running.run().then(ended, ended);
    });

    const discovery = startDiscoveryLoop(
      {
        redis,
        logger: logger.child({ component: 'discovery' }),
        reconcile: (signal) =>
          reconcileSchedules({ nango: app.nango, scriptsConfig, queue, logger: logger.child({ component: 'discovery' }) }, { rules: config.streams, jobOptions, signal }),
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
        return { drained: drainedInTime };
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

/** Waits for the jobs running to finish (they stop after their page in flight) until the deadline. */
async function drain(worker: ReturnType<typeof createSyncWorker>, remainingMs: () => number, logger: Logger): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), remainingMs())));
  const outcome = await Promise.race([worker.close().then(() => 'drained' as const), deadline]);
  clearTimeout(timer);
  if (outcome === 'drained') return true;
  logger.warn('shutdown deadline reached with jobs still running: abandoning them (an open page transaction rolls back)');
  void worker.close(true).catch(() => undefined);
  return false;
}
