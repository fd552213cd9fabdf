import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ReplicatorConfig } from '../config/replicator-config.js';
import type { HttpRoutes } from '../http/start-http-server.js';
import { createQueueWebhookTarget } from '../jobs/queue-webhook-target.js';
import type { StreamSyncRequestOutcome } from '../jobs/request-stream-sync.js';
import type { ReplicatorMetrics } from '../metrics/create-replicator-metrics.js';
import type { FleetBudget } from '../ratelimit/read-fleet-budget.js';
import { registerMetricsRoute } from '../metrics/register-metrics-route.js';
import { readApiBudget } from '../status-page/read-api-budget.js';
import type { ApiBudget } from '../status-page/render-api-budget.js';
import { registerStatusPage } from '../status-page/register-status-page.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import type { StreamKey } from '../store/stream-key.js';
import { registerNangoWebhookRoute } from '../webhooks/register-nango-webhook-route.js';

export interface WorkerRoutesDeps {
  config: ReplicatorConfig;
  logger: Logger;
  db: Kysely<ReplicatorDatabase>;
  registry: Registry;
  metrics: ReplicatorMetrics;
  requestSync(stream: StreamKey, trigger: 'webhook'): Promise<StreamSyncRequestOutcome>;
  /** The fleet's API budget as its buckets apply it (`readFleetBudget`), shown on the status page. */
  fleetBudget?(): Promise<FleetBudget>;
  /** Schedules a replace backfill of the stream (a webhook announcing a full run). */
  requestReplace?(stream: StreamKey, reason: string): Promise<'enqueued' | 'already-queued'>;
}

/** The worker's HTTP face besides health: `GET /metrics`, the status page at `GET /`, `POST /webhooks/nango`. */
export function workerRoutes(deps: WorkerRoutesDeps): HttpRoutes[] {
  const { config, logger, db, metrics } = deps;
  return [
    (scope) => registerMetricsRoute(scope, { registry: deps.registry }),
    (scope) => registerStatusPage(scope, { db, logger, budget: () => readStatusPageBudget(deps) }),
    (scope) =>
      registerNangoWebhookRoute(
        scope,
        {
          target: createQueueWebhookTarget({ db, logger, requestSync: deps.requestSync, requestReplace: deps.requestReplace }),
          keys: {
            current: config.webhooks.signingKey,
            previous: config.webhooks.previousSigningKey,
            allowLegacy: config.webhooks.allowLegacySignature,
          },
          metrics,
          logger,
        },
        { bodyLimitBytes: config.webhooks.maxBodyBytes },
      ),
  ];
}

/** What Nango last said about the account, and what the fleet's buckets grant (null when Redis does not answer). */
async function readStatusPageBudget(deps: WorkerRoutesDeps): Promise<ApiBudget> {
  const budget = await readApiBudget(deps.metrics, deps.config.nango.rateLimit.share);
  const fleet = deps.fleetBudget === undefined ? null : await deps.fleetBudget().catch(() => null);
  return { ...budget, fleet };
}
