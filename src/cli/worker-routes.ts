import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ReplicatorConfig } from '../config/replicator-config.js';
import type { HttpRoutes } from '../http/start-http-server.js';
import { createQueueWebhookTarget } from '../jobs/queue-webhook-target.js';
import type { StreamSyncRequestOutcome } from '../jobs/request-stream-sync.js';
import type { ReplicatorMetrics } from '../metrics/create-replicator-metrics.js';
import { registerMetricsRoute } from '../metrics/register-metrics-route.js';
import { readApiBudget } from '../status-page/read-api-budget.js';
import { describeFleetSchedule } from '../schedule/describe-fleet-schedule.js';
import { loadFleetSchedule } from '../schedule/plan-fleet-schedule.js';
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
  /** Schedules a replace backfill of the stream (a webhook announcing a full run). */
  requestReplace?(stream: StreamKey, reason: string): Promise<'enqueued' | 'already-queued'>;
}

/** The worker's HTTP face besides health: `GET /metrics`, the status page at `GET /`, `POST /webhooks/nango`. */
export function workerRoutes(deps: WorkerRoutesDeps): HttpRoutes[] {
  const { config, logger, db, metrics } = deps;
  return [
    (scope) => registerMetricsRoute(scope, { registry: deps.registry }),
    (scope) =>
      registerStatusPage(scope, {
        db, logger,
        budget: async () => ({
          ...(await readApiBudget(metrics, config.nango.rateLimit.share)),
          schedule: describeFleetSchedule(await loadFleetSchedule(db)),
        }),
      }),
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
