import { hostname } from 'node:os';
import type { Queue } from 'bullmq';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { requireSecretKey } from '../config/load-config.js';
import type { ReplicatorConfig } from '../config/replicator-config.js';
import { withInfrastructureErrors } from '../errors/describe-infrastructure-error.js';
import { healthRoutes } from '../http/health-routes.js';
import { type HttpRoutes, startHttpServer } from '../http/start-http-server.js';
import { BACKFILL_QUEUE, SYNC_JOB, SYNC_QUEUE } from '../jobs/queue/queue-names.js';
import { requestStreamSync, type StreamSyncRequestOutcome } from '../jobs/sync/request-stream-sync.js';
import { scheduleAutomaticBackfill } from '../jobs/backfill/schedule-automatic-backfill.js';
import type { SyncJobInput } from '../jobs/sync/sync-job-data.js';
import { syncJobOptions } from '../jobs/sync/sync-job-options.js';
import { createReplicatorMetrics } from '../metrics/create-replicator-metrics.js';
import { instrumentRequestGate } from '../metrics/instrument-request-gate.js';
import { loadFleetFigures } from '../metrics/load-fleet-figures.js';
import { loadStreamFreshness } from '../metrics/load-stream-freshness.js';
import { queueJobCounts } from '../metrics/queue-job-counts.js';
import { createScriptsConfigCache } from '../nango/scripts-config-cache.js';
import { cachedModelFields } from '../replicate/model-fields-lookup.js';
import { notifyOnRateLimit } from '../ratelimit/notify-on-rate-limit.js';
import { createScheduleMetrics } from '../schedule/create-schedule-metrics.js';
import { noticingWebhooks } from '../schedule/noticing-webhooks.js';
import { loadFleetSchedule } from '../schedule/plan-fleet-schedule.js';
import type { StreamKey } from '../stream/stream-key.js';
import { createCloseStack } from '../util/close-stack.js';
import { backfillRequestGate } from './backfill-request-gate.js';
import { createFleetServices } from './fleet-services.js';
import { nangoClientFromConfig } from './nango-client-from-config.js';
import { type OpenDatabase, openDatabase } from './open-database.js';
import { openQueue } from './open-queue.js';
import { openRedis } from './open-redis.js';
import type { RunningConsumer } from './running-consumer.js';
import { type BackfillQueueData, startBackfillConsumer } from './start-backfill-consumer.js';
import { startSyncConsumer } from './start-sync-consumer.js';
import { startAdminDoor } from './start-admin-door.js';
import { startDiscovery } from './start-discovery.js';
import { workerRoutes } from './worker-routes.js';
import { followAnnouncedVariant } from '../jobs/discovery/follow-announced-variant.js';
import { fleetBudgetOptions } from './fleet-gate.js';
import { readFleetBudget } from '../ratelimit/read-fleet-budget.js';
import { bullmqConnection } from '../redis-client/bullmq-connection.js';

/** A running worker process: its HTTP port, and how to stop it. */
export interface RunningWorker {
  readonly httpPort: number;
  /** The admin door's port (status page, /metrics): see `startAdminDoor`. */
  readonly adminPort: number;
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
  /** Extra HTTP routes on the public door, next to webhooks, health and readiness, given what they may use. */
  routes?: (context: WorkerContext) => ReadonlyArray<HttpRoutes>;
}

/** What extra routes may use: the database, the sync queue, and the way to ask for an immediate pull. */
export interface WorkerContext {
  db: OpenDatabase['db'];
  queue: Queue<SyncJobInput>;
  /** See `requestStreamSync`: deduplicated, never overlapping the stream's running job. */
  requestSync(stream: StreamKey, trigger: 'webhook' | 'manual'): Promise<StreamSyncRequestOutcome>;
}

/**
 * The worker process's composition root. Reads in the order the process opens:
 * 1. infrastructure: Redis, Postgres (and its migrations), the `nango-sync` and `nango-backfill` queues;
 * 2. the fleet's shared services, built once: the gate on the shared Nango budget (a 429 also pauses both queues,
 *    BullMQ's rate limit, so no process starts new jobs meanwhile), the stream locks and pull marks, the metrics,
 *    the Nango clients (backfill requests also pass their own share of the budget) and the scripts config cache;
 * 3. the consumers of both queues;
 * 4. the two HTTP doors: the public one (webhooks, health, readiness) and the admin one (status page, metrics);
 * 5. the discovery loop.
 * Two stacks undo it: `work` (discovery, then the consumers' drains: stop taking jobs, let the page in flight
 * commit) runs first, while the HTTP server still answers; then `releasers` closes the resources, last opened first.
 */
export async function openWorker(deps: OpenWorkerDeps): Promise<RunningWorker> {
  const { config, logger } = deps;
  const owner = `${hostname()}:${process.pid}`;
  const releasers = createCloseStack(logger);
  const work = createCloseStack(logger);
  const shutdown = new AbortController();
  let deadlineAt = Infinity;
  const remainingMs = () => Math.max(1000, deadlineAt - performance.now());
  const closeAll = async (stepTimeoutMs: () => number) => {
    await work.closeAll({ stepTimeoutMs });
    await releasers.closeAll({ stepTimeoutMs });
  };
  try {
    // 1. Infrastructure.
    const secretKey = requireSecretKey(config);
    const redis = await openRedis({ logger }, config);
    releasers.push('redis', () => redis.quit());
    const { db, close: closeDatabase } = await openDatabase({ logger }, config);
    releasers.push('postgres', closeDatabase);
    const bullmq = bullmqConnection(config, 'nango-replicator-bullmq');
    releasers.push('bullmq redis', () => bullmq.close());
    const { connection } = bullmq;
    const syncQueue = openQueue<SyncJobInput>({ logger }, config, SYNC_QUEUE, connection);
    releasers.push('queue', () => syncQueue.close());
    const backfillQueue = openQueue<BackfillQueueData>({ logger }, config, BACKFILL_QUEUE, connection);
    releasers.push('backfill queue', () => backfillQueue.close());

    // 2. The fleet's shared services.
    const registry = new Registry();
    const metrics = createReplicatorMetrics(
      registry,
      {
        streams: () => loadStreamFreshness(db),
        fleet: () => loadFleetFigures(db),
        queues: [queueJobCounts(SYNC_QUEUE, () => syncQueue), queueJobCounts(BACKFILL_QUEUE, () => backfillQueue)],
        onSourceError: (source, error) => logger.warn({ source, err: { message: String(error) } }, 'a metrics source failed'),
      },
      { perStream: config.metrics.perStream },
    );
    const scheduleMetrics = createScheduleMetrics(registry, {
      load: () => loadFleetSchedule(db),
      onSourceError: (error) => logger.warn({ source: 'schedule', err: { message: String(error) } }, 'a metrics source failed'),
    });
    const { gate, locks, pullMarks } = createFleetServices({ redis, logger }, config, secretKey);
    const fleetBudget = () => readFleetBudget(redis, fleetBudgetOptions(config, secretKey));
    const pauseQueues = async (ms: number) => {
      logger.warn({ pauseMs: ms }, 'Nango answered 429: no process takes new jobs meanwhile');
      await syncQueue.rateLimit(ms);
      await backfillQueue.rateLimit(ms);
    };
    const fleetGate = instrumentRequestGate(notifyOnRateLimit(gate, pauseQueues, logger), metrics);
    const nangoLogger = logger.child({ component: 'nango' });
    const nango = nangoClientFromConfig({ fetch: deps.fetch, gate: fleetGate, logger: nangoLogger }, config, secretKey);
    const backfillNango = nangoClientFromConfig(
      {
        fetch: deps.fetch,
        gate: backfillRequestGate({ redis, logger, fleetGate }, config, secretKey),
        logger: logger.child({ component: 'nango', bucket: 'backfill' }),
      },
      config,
      secretKey,
    );
    const scriptsConfig = createScriptsConfigCache({ nango }, { maxAgeMs: config.discovery.everyMs, signal: shutdown.signal });
    const modelFields = cachedModelFields(scriptsConfig);
    const jobOptions = syncJobOptions({ attempts: config.worker.attempts, backoffMs: config.worker.backoffMs });
    const enqueueSync = async (data: SyncJobInput, jobId: string) => void (await syncQueue.add(SYNC_JOB, data, { ...jobOptions, jobId }));
    // A webhook is noted on its stream before its pull is queued (adaptive polling knows which changes were announced).
    const requestSync = noticingWebhooks({ db, logger }, (stream: StreamKey, trigger: 'webhook' | 'manual') =>
      requestStreamSync(syncQueue, stream, { trigger, jobOptions }),
    );
    const scheduleReplace = (stream: StreamKey, reason: string) =>
      scheduleAutomaticBackfill({ queue: backfillQueue, logger }, stream, { reason, jobOptions });

    // 3. The consumers.
    const drains = { stack: work, remainingMs };
    const backfills = startBackfillConsumer(
      {
        config,
        logger,
        db,
        nango: backfillNango,
        scriptsConfig,
        modelFields,
        locks,
        metrics,
        queue: backfillQueue,
        connection,
        jobOptions,
        owner,
        shutdown: shutdown.signal,
        followUps: { pullMarks, enqueue: enqueueSync },
      },
      drains,
    );
    const syncs = startSyncConsumer(
      {
        config,
        logger,
        db,
        nango,
        modelFields,
        locks,
        pullMarks,
        metrics,
        enqueue: enqueueSync,
        connection,
        owner,
        shutdown: shutdown.signal,
        scheduleReplace,
      },
      drains,
    );
    const failed = Promise.race([syncs.failed, backfills.failed]);

    // 4. The HTTP doors.
    const context: WorkerContext = { db, queue: syncQueue, requestSync };
    const checks = [
      { name: 'postgres', check: async () => void (await sql`SELECT 1`.execute(db)) },
      { name: 'redis', check: async () => void (await redis.ping()) },
      { name: 'worker', check: async () => assertRunning(syncs, shutdown.signal) },
    ];
    const http = await withInfrastructureErrors({ service: 'http', port: config.httpPort }, () =>
      startHttpServer(
        { logger: logger.child({ component: 'http' }) },
        {
          port: config.httpPort,
          routes: [
            healthRoutes(checks),
            ...workerRoutes({
              config,
              logger,
              db,
              metrics,
              requestSync,
              requestReplace: scheduleReplace,
              followVariant: (stream, syncName) =>
                followAnnouncedVariant({ db, queue: syncQueue, rules: config.streams, logger }, stream, syncName),
            }),
            ...(deps.routes?.(context) ?? []),
          ],
        },
      ),
    );
    releasers.push('http', () => http.close());
    const admin = await startAdminDoor({
      config,
      logger,
      db,
      registry,
      metrics,
      checks,
      fleetBudget,
    });
    releasers.push('admin-http', () => admin.close());

    // 5. Discovery (and the schedule it plans), then the `/sync/status` hints where a rule asks for them.
    startDiscovery(
      {
        config,
        db,
        nango,
        scriptsConfig,
        redis,
        locks,
        queue: syncQueue,
        jobOptions,
        backfillQueue,
        logger,
        owner,
        metrics: scheduleMetrics,
        budgetPerMinute: async () => (await fleetBudget()).effectivePerMinute,
      },
      work,
    );
    const ports = { httpPort: http.port, adminPort: admin.port };
    logger.info({ owner, concurrency: config.worker.concurrency, rules: config.streams.length, ...ports }, 'worker started');

    return {
      httpPort: http.port,
      adminPort: admin.port,
      failed,
      async close(deadlineMs) {
        if (!shutdown.signal.aborted) {
          deadlineAt = performance.now() + deadlineMs;
          shutdown.abort(new Error('shutting down'));
        }
        await closeAll(remainingMs);
        return { drained: syncs.drainedInTime() && backfills.drainedInTime() };
      },
    };
  } catch (error) {
    // Opening failed (e.g. the HTTP port is taken): jobs the consumers took meanwhile get 5 s to stop.
    deadlineAt = performance.now() + 5000;
    shutdown.abort(error);
    await closeAll(() => 5000);
    throw error;
  }
}

function assertRunning(consumer: RunningConsumer, shutdown: AbortSignal): void {
  if (shutdown.aborted) throw new Error('shutting down');
  if (!consumer.isRunning()) throw new Error('not running');
}
