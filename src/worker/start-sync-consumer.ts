import { pollAdaptively } from '../schedule/poll-adaptively.js';
import { historyFor } from '../config/history-for.js';
import type { ConnectionOptions } from 'bullmq';
import type { ReplicatorConfig } from '../config/replicator-config.js';
import { backfillOnRejectedCursor } from '../jobs/backfill/backfill-on-rejected-cursor.js';
import { createSyncWorker } from '../jobs/sync/create-sync-worker.js';
import { drainWorker, runUntilFailure } from '../jobs/queue/drain-worker.js';
import { processSyncJob, type SyncJobDeps } from '../jobs/sync/process-sync-job.js';
import type { StreamKey } from '../stream/stream-key.js';
import type { CloseStack } from '../util/close-stack.js';
import type { RunningConsumer } from './running-consumer.js';

export interface SyncConsumerDeps extends SyncJobDeps {
  config: ReplicatorConfig;
  connection: ConnectionOptions;
  /** `<host>:<pid>`. */
  owner: string;
  /** Aborts on shutdown: running jobs stop after their page in flight. */
  shutdown: AbortSignal;
  /** Schedules a replace backfill of a stream whose stored cursor Nango keeps rejecting. */
  scheduleReplace(stream: StreamKey, reason: string): Promise<unknown>;
}

/**
 * Starts the worker consuming `nango-sync` (`worker.concurrency` jobs at once, each a slice of `worker.slicePages`
 * pages; see `processSyncJob`) and registers its drain on `drains` (`remainingMs`: time left before the deadline).
 */
export function startSyncConsumer(deps: SyncConsumerDeps, drains: { stack: CloseStack; remainingMs: () => number }): RunningConsumer {
  const { config, logger } = deps;
  const settings = {
    schema: config.target.schema,
    deletes: config.target.deletes,
    history: (stream: StreamKey) => historyFor(config, stream),
    fillfactor: config.target.fillfactor,
    pageSize: config.nango.pageSize,
    slicePages: config.worker.slicePages,
    owner: deps.owner,
  };
  const worker = createSyncWorker(
    {
      logger,
      process: backfillOnRejectedCursor(
        // A scheduled tick reads its stream only when it is due (adaptive polling, src/schedule/).
        pollAdaptively((job, signal) => processSyncJob(deps, settings, job, AbortSignal.any([signal, deps.shutdown])), {
          db: deps.db,
          logger,
        }),
        { schedule: (stream, reason) => deps.scheduleReplace(stream, reason), logger },
      ),
    },
    {
      connection: deps.connection,
      prefix: config.queuePrefix,
      name: deps.owner,
      concurrency: config.worker.concurrency,
      lockDurationMs: config.worker.lockDurationMs,
    },
  );
  let drained = true;
  drains.stack.push('worker', async () => {
    drained = await drainWorker(worker, drains.remainingMs(), logger);
  });
  return { isRunning: () => worker.isRunning(), failed: runUntilFailure(worker, deps.shutdown), drainedInTime: () => drained };
}
