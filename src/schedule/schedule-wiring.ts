import type { JobSchedulerTemplateOptions, JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ReplicatorConfig } from '../config/replicator-config.js';
import { type ReconcileDeps, reconcileSchedules, type ReconcileSummary } from '../jobs/discovery/reconcile-schedules.js';
import { requestStreamSync } from '../jobs/sync/request-stream-sync.js';
import type { SyncJobInput } from '../jobs/sync/sync-job-data.js';
import type { NangoClient } from '../nango/nango-client.js';
import type { ScriptsConfigCache } from '../nango/scripts-config-cache.js';
import { listKnownVariants } from '../store/list-known-variants.js';
import { recordStreamPeriods } from '../store/record-stream-periods.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import type { ScheduleMetrics } from './create-schedule-metrics.js';
import { fleetBudgetPerMinute } from './fleet-budget.js';
import { planAfterDiscovery, scheduleOverheadPerMinute } from './plan-after-discovery.js';
import { startSyncStatusHints } from './sync-status-hints.js';
import { recordVariantListing, startVariantLookup } from '../jobs/discovery/start-variant-lookup.js';
import { followsVariantsRule, hintedIntegrations, variantLookupIntegrations } from './sync-status-integrations.js';
import { wasScheduled } from './was-scheduled.js';

/** What the worker's wiring hands the schedule. */
export interface ScheduleWiringDeps {
  config: ReplicatorConfig;
  db: Kysely<ReplicatorDatabase>;
  nango: NangoClient;
  scriptsConfig: ScriptsConfigCache;
  redis: Redis;
  /** The `nango-sync` queue, and the options of its jobs. */
  queue: Queue<SyncJobInput>;
  jobOptions: JobSchedulerTemplateOptions & JobsOptions;
  /** The `nango-backfill` queue: while it has jobs, backfills keep their share of the budget. */
  backfillQueue: Queue;
  metrics: ScheduleMetrics;
  logger: Logger;
  /** Who this process is, stored in the leases it takes. */
  owner: string;
  /**
   * The fleet's budget, requests a minute, as its buckets apply it (the smaller of the configuration and the
   * account's reported limit: `readFleetBudget`). Absent: the configuration's (`fleetBudgetPerMinute`).
   */
  budgetPerMinute?(): Promise<number>;
  /** Records each connection listing in `_nango_connections` (see `ReconcileDeps.trackConnections`). */
  trackConnections?: ReconcileDeps['trackConnections'];
}

/**
 * The discovery pass of the worker: `reconcileSchedules` (counting repaired schedulers), then the budget plan
 * (`planAfterDiscovery`), for `startDiscoveryLoop`.
 */
export function scheduleDiscoveryPass(deps: ScheduleWiringDeps): (signal: AbortSignal) => Promise<ReconcileSummary> {
  const { config, db, logger } = deps;
  return planAfterDiscovery(
    {
      db,
      logger: logger.child({ component: 'schedule' }),
      metrics: deps.metrics,
      budgetPerMinute: deps.budgetPerMinute ?? (() => fleetBudgetPerMinute(config)),
      backfillsActive: async () => Object.values(await deps.backfillQueue.getJobCounts('active', 'waiting')).some((n) => n > 0),
      reconcile: (signal) =>
        reconcileSchedules(
          {
            nango: deps.nango,
            scriptsConfig: deps.scriptsConfig,
            queue: deps.queue,
            logger: logger.child({ component: 'discovery' }),
            wasScheduled: (ids) => wasScheduled(db, ids),
            knownVariants: (integrations) => listKnownVariants(db, integrations),
            trackConnections: deps.trackConnections,
            // Each stream's period, for judging its staleness in the views (status, status page, metrics).
            onDesired: (streams) => recordStreamPeriods(db, streams),
          },
          { rules: config.streams, jobOptions: deps.jobOptions, signal },
        ),
    },
    { overheadPerMinute: scheduleOverheadPerMinute(config), backfillShare: config.backfill.budgetShare },
  );
}

/**
 * Starts the `/sync/status` hints when a stream rule asks for them (`detection: syncStatus`); else returns null. Their
 * listings also record the variants of the integrations that follow variants.
 */
export function startConfiguredHints(deps: ScheduleWiringDeps): { close(): Promise<void> } | null {
  const { config } = deps;
  const hinted = hintedIntegrations(config.streams);
  if (hinted.length === 0) return null;
  const withVariants = new Set(config.streams.filter(followsVariantsRule).map((rule) => rule.integration));
  const logger = deps.logger.child({ component: 'sync-status' });
  return startSyncStatusHints(
    {
      db: deps.db,
      nango: deps.nango,
      redis: deps.redis,
      logger,
      requestPull: (stream) => requestStreamSync(deps.queue, stream, { trigger: 'manual', jobOptions: deps.jobOptions }),
      onListing: async (integration, items) => {
        if (withVariants.has(integration)) await recordVariantListing({ db: deps.db, logger }, integration, items);
      },
    },
    { integrations: hinted, ...config.syncStatus, leaseKey: `${config.redisKeyPrefix}sync-status-lease`, owner: deps.owner },
  );
}

/**
 * Starts the lookup of sync variants (`variants.every`) for the integrations whose rules follow variants and whose
 * variants the hints do not already list; else returns null.
 */
export function startConfiguredVariantLookup(deps: ScheduleWiringDeps): { close(): Promise<void> } | null {
  const { config } = deps;
  const integrations = variantLookupIntegrations(config.streams);
  if (integrations.length === 0) return null;
  return startVariantLookup(
    { db: deps.db, nango: deps.nango, redis: deps.redis, logger: deps.logger.child({ component: 'variants' }) },
    { integrations, ...config.variants, leaseKey: `${config.redisKeyPrefix}variant-lookup-lease`, owner: deps.owner },
  );
}
