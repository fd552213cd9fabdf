import type { Logger } from 'pino';
import type { WebhookOutcome } from '../metrics/create-replicator-metrics.js';
import type { StreamKey } from '../stream/stream-key.js';
import type { NangoWebhook } from './nango-webhook-schema.js';
import type { WebhookTarget } from './webhook-target.js';

/**
 * Does what a verified, parsed webhook asks: a successful run pulls the stream (a full run schedules the
 * replace backfill instead), a failed run is recorded on each of its streams, anything else is ignored.
 * Returns the outcome to count and answer with. Only enqueues or records; never pulls.
 */
export async function actOnWebhook(webhook: NangoWebhook, deps: { target: WebhookTarget; logger: Logger }): Promise<WebhookOutcome> {
  const { target, logger } = deps;
  switch (webhook.kind) {
    case 'ignored':
      logger.debug({ webhookType: webhook.type }, 'webhook of a type the replicator does not use, ignored');
      return 'ignored';
    case 'sync-success': {
      const log = streamLogger(logger, webhook.stream);
      const reason = { trigger: 'nango-webhook' as const, syncName: webhook.syncName };
      if (webhook.fullRun) {
        const outcome = await target.requestFullResync(webhook.stream, reason);
        log.info({ syncName: webhook.syncName, outcome }, 'webhook: Nango ran a full sync, replace backfill requested');
        return outcome === 'enqueued' ? 'full-resync-requested' : outcome;
      }
      const outcome = await target.requestSync(webhook.stream, reason);
      log.info({ syncName: webhook.syncName, outcome }, 'webhook: sync requested');
      return outcome;
    }
    case 'sync-failure': {
      // Sequential: one webhook names a handful of models at most.
      for (const stream of webhook.streams) {
        await target.recordSyncFailure(stream, { ...webhook.error, syncName: webhook.syncName, failedAt: webhook.failedAt });
        // The description is stored for `status`, not logged: it can quote anything the provider returned.
        streamLogger(logger, stream).warn({ syncName: webhook.syncName, errorType: webhook.error.type }, 'webhook: Nango sync run failed');
      }
      return 'failure-recorded';
    }
  }
}

function streamLogger(logger: Logger, stream: StreamKey): Logger {
  return logger.child({
    integration: stream.providerConfigKey,
    connection: stream.connectionId,
    model: stream.model,
    variant: stream.variant,
  });
}
