import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ReplicatorConfig } from '../config/replicator-config.js';
import type { HttpRoutes } from '../http/start-http-server.js';
import { createQueueWebhookTarget } from '../jobs/sync/queue-webhook-target.js';
import type { StreamSyncRequestOutcome } from '../jobs/sync/request-stream-sync.js';
import type { ReplicatorMetrics } from '../metrics/create-replicator-metrics.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import type { StreamKey } from '../stream/stream-key.js';
import { registerNangoWebhookRoute } from '../webhooks/register-nango-webhook-route.js';

export interface WorkerRoutesDeps {
  config: ReplicatorConfig;
  logger: Logger;
  db: Kysely<ReplicatorDatabase>;
  metrics: ReplicatorMetrics;
  requestSync(stream: StreamKey, trigger: 'webhook'): Promise<StreamSyncRequestOutcome>;
  /** Schedules a replace backfill of the stream (a webhook announcing a full run). */
  requestReplace?(stream: StreamKey, reason: string): Promise<'enqueued' | 'already-queued'>;
  /** Schedules the stream of a variant a webhook announced (`followAnnouncedVariant`). */
  followVariant?(stream: StreamKey, syncName: string): Promise<boolean>;
}

/**
 * The worker's public door besides health: `POST /webhooks/nango`, nothing else. The status page and `/metrics`
 * are on the admin door (`startAdminDoor`), so exposing this port to Nango exposes no inventory.
 */
export function workerRoutes(deps: WorkerRoutesDeps): HttpRoutes[] {
  const { config, logger, db, metrics } = deps;
  return [
    (scope) =>
      registerNangoWebhookRoute(
        scope,
        {
          target: createQueueWebhookTarget({
            db,
            logger,
            requestSync: deps.requestSync,
            requestReplace: deps.requestReplace,
            followVariant: deps.followVariant,
          }),
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
