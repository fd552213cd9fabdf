import type { Redis } from 'ioredis';
import { startDiscoveryLoop } from '../jobs/discovery/discovery-loop.js';
import { reapAbandonedRuns } from '../jobs/discovery/reap-abandoned-runs.js';
import type { RedisLocks } from '../lock/redis-locks.js';
import {
  scheduleDiscoveryPass,
  type ScheduleWiringDeps,
  startConfiguredHints,
  startConfiguredVariantLookup,
} from '../schedule/schedule-wiring.js';
import { refreshConnectionsTable } from '../store/refresh-connections-table.js';
import type { CloseStack } from '../util/close-stack.js';

/** What discovery needs beyond the schedule's wiring: the stream locks (to reap abandoned runs) and the Redis client. */
export interface DiscoveryDeps extends Omit<ScheduleWiringDeps, 'trackConnections'> {
  redis: Redis;
  locks: RedisLocks;
}

/**
 * Starts the worker's discovery loop (one holder of its lease at a time): reaping abandoned runs, reconciling the job
 * schedulers with the streams Nango lists (recording the connections in `_nango_connections`), and planning the
 * schedule against the budget; then the `/sync/status` hints where a stream rule asks for them, and the lookup of
 * sync variants. Each is pushed on
 * `stack`, to be closed with the rest of the work.
 */
export function startDiscovery(deps: DiscoveryDeps, stack: CloseStack): void {
  const { config, db, logger, locks } = deps;
  const scheduleDeps: ScheduleWiringDeps = {
    ...deps,
    trackConnections: (connections, integrations) =>
      refreshConnectionsTable(
        { db, logger },
        { schema: config.target.schema, integrations, connections, onConnectionDeleted: config.target.onConnectionDeleted },
      ),
  };
  const discovery = startDiscoveryLoop(
    {
      redis: deps.redis,
      logger: logger.child({ component: 'discovery' }),
      sweep: async (signal) => void (await reapAbandonedRuns({ db, locks, logger: logger.child({ component: 'sweep' }) }, { signal })),
      reconcile: scheduleDiscoveryPass(scheduleDeps),
    },
    { everyMs: config.discovery.everyMs, leaseKey: `${config.redisKeyPrefix}discovery-lease`, owner: deps.owner },
  );
  stack.push('discovery', () => discovery.close());
  const hints = startConfiguredHints(scheduleDeps);
  if (hints !== null) stack.push('sync-status hints', () => hints.close());
  const variants = startConfiguredVariantLookup(scheduleDeps);
  if (variants !== null) stack.push('variant lookup', () => variants.close());
}
