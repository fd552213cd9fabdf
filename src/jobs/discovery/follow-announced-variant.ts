import type { Queue } from 'bullmq';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { StreamRule } from '../../config/replicator-config.js';
import { recordAnnouncedVariant } from '../../store/record-announced-variant.js';
import type { ReplicatorDatabase } from '../../store/replicator-tables.js';
import { streamSchedulerId } from '../../stream/stream-ids.js';
import { BASE_VARIANT, type StreamKey } from '../../stream/stream-key.js';
import { streamMessageFields } from '../../stream/stream-message-fields.js';
import { ruleFollowsVariant } from './followed-variants.js';
import { schedulerOffsetMs } from './scheduler-offset.js';
import { SYNC_JOB } from '../queue/queue-names.js';
import type { SyncJobInput } from '../sync/sync-job-data.js';

export interface FollowAnnouncedVariantDeps {
  db: Kysely<ReplicatorDatabase>;
  /** The `nango-sync` queue. */
  queue: Queue<SyncJobInput>;
  rules: ReadonlyArray<StreamRule>;
  logger: Logger;
}

/**
 * A sync webhook named a variant (`syncVariant`, docs/nango-api.md 10.2) whose stream has no scheduler yet: when its
 * base stream is followed and a rule of the integration follows the variant, records the variant (so discovery keeps
 * it) and schedules its stream at once, on the base stream's period and template, its ticks at the stream's own
 * slot in the period (`schedulerOffsetMs`); the webhook's pull, which follows, reads it now. Returns true when it
 * scheduled the stream, false when there was nothing to do (the plain sync, a variant already scheduled, one no rule
 * follows, or one of a stream not followed).
 */
export async function followAnnouncedVariant(deps: FollowAnnouncedVariantDeps, stream: StreamKey, syncName: string): Promise<boolean> {
  if (stream.variant === BASE_VARIANT) return false;
  if (!deps.rules.some((rule) => rule.integration === stream.providerConfigKey && ruleFollowsVariant(rule, stream.variant))) return false;
  const id = streamSchedulerId(stream);
  if ((await deps.queue.getJobScheduler(id)) !== undefined) return false;
  const base = await deps.queue.getJobScheduler(streamSchedulerId({ ...stream, variant: BASE_VARIANT }));
  if (base === undefined || base.every === undefined || base.every === null || base.template?.data === undefined) return false;
  const { providerConfigKey, connectionId, model, variant } = stream;
  const every = Number(base.every);
  // The base template's settings, in the order discovery writes a template (it compares them as JSON).
  const { trigger, everyMs, safetyNetMs } = base.template.data;
  await recordAnnouncedVariant(deps.db, { providerConfigKey, connectionId, syncName, variant, models: [model] });
  await deps.queue.upsertJobScheduler(
    id,
    { every, offset: schedulerOffsetMs(id, every) },
    { name: SYNC_JOB, data: { ...streamMessageFields(stream), trigger, everyMs, safetyNetMs }, opts: base.template.opts ?? {} },
  );
  deps.logger.info(
    { integration: providerConfigKey, connection: connectionId, model, variant, sync: syncName },
    'sync variant announced by a webhook: its stream is followed from now on',
  );
  return true;
}
