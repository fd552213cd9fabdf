import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { errorSummary } from '../errors/error-summary.js';
import type { StreamSyncRequestOutcome } from '../jobs/sync/request-stream-sync.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import type { StreamKey } from '../stream/stream-key.js';
import { noteWebhook } from './polling-state.js';

type RequestSync<T extends string> = (stream: StreamKey, trigger: T) => Promise<StreamSyncRequestOutcome>;

/**
 * Wraps the way a pull is requested: a request a webhook makes is first noted on the stream (`noteWebhook`), so
 * the changes it brings count as announced and adaptive polling knows the integration's webhooks arrive. A failure
 * to note it is logged and the pull requested all the same.
 */
export function noticingWebhooks<T extends string>(
  deps: { db: Kysely<ReplicatorDatabase>; logger: Logger },
  requestSync: RequestSync<T>,
): RequestSync<T> {
  return async (stream, trigger) => {
    if (trigger === 'webhook') {
      try {
        await noteWebhook(deps.db, stream);
      } catch (error) {
        deps.logger.warn({ err: errorSummary(error) }, 'could not note the webhook for adaptive polling');
      }
    }
    return requestSync(stream, trigger);
  };
}
