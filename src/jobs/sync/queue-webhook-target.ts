import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ReplicatorDatabase } from '../../store/replicator-tables.js';
import { recordStreamError } from '../../store/record-stream-error.js';
import type { StreamKey } from '../../stream/stream-key.js';
import type { SyncFailure, SyncRequestOutcome, SyncRequestReason, WebhookTarget } from '../../webhooks/webhook-target.js';
import type { StreamSyncRequestOutcome } from './request-stream-sync.js';

export interface QueueWebhookTargetDeps {
  db: Kysely<ReplicatorDatabase>;
  logger: Logger;
  /** An immediate, deduplicated pull of a followed stream (`requestStreamSync`). */
  requestSync(stream: StreamKey, trigger: 'webhook'): Promise<StreamSyncRequestOutcome>;
  /**
   * Schedules the replace backfill of a stream after Nango re-read everything. Absent until backfills exist in
   * this process: the stream is then pulled as usual, which catches every change but not records dropped
   * without a tombstone.
   */
  requestReplace?(stream: StreamKey, reason: string): Promise<SyncRequestOutcome>;
  /**
   * Schedules the stream of a variant a webhook announced, when its base stream is followed and a rule follows the
   * variant (`followAnnouncedVariant`); true when it did. Absent: a variant's webhook only pulls it.
   */
  followVariant?(stream: StreamKey, syncName: string): Promise<boolean>;
}

/** The webhook route's target, on the job queue: every method only enqueues or writes one row. */
export function createQueueWebhookTarget(deps: QueueWebhookTargetDeps): WebhookTarget {
  return {
    async requestSync(stream: StreamKey, reason: SyncRequestReason) {
      // Pulled as well when just scheduled: the pull is what records that a webhook announced the changes it reads.
      await deps.followVariant?.(stream, reason.syncName);
      return deps.requestSync(stream, 'webhook');
    },
    async requestFullResync(stream: StreamKey, reason: SyncRequestReason) {
      const why = `Nango ran sync ${reason.syncName} from scratch (checkpoints.from is null)`;
      if (deps.requestReplace) return deps.requestReplace(stream, why);
      deps.logger.warn({ ...stream, syncName: reason.syncName }, `${why}; no backfill queue here, pulling as usual`);
      return deps.requestSync(stream, 'webhook');
    },
    async recordSyncFailure(stream: StreamKey, failure: SyncFailure) {
      await recordStreamError(deps.db, stream, {
        code: 'nango_sync_failed',
        message: `Nango sync ${failure.syncName} failed (${failure.type}): ${failure.description}`,
        nangoErrorType: failure.type,
        syncName: failure.syncName,
        failedAt: failure.failedAt,
      });
    },
  };
}
