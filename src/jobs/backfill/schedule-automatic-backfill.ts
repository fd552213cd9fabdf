import { randomUUID } from 'node:crypto';
import type { JobsOptions, Queue } from 'bullmq';
import type { Logger } from 'pino';
import { BASE_VARIANT, type StreamKey } from '../../stream/stream-key.js';
import type { BackfillJobInput } from './backfill-job-data.js';
import { BACKFILL_JOB } from '../queue/queue-names.js';
import { streamMessageFields } from '../../stream/stream-message-fields.js';

/** What became of a request for an automatic backfill. */
export type AutomaticBackfillOutcome = 'enqueued' | 'already-queued';

/**
 * Queues a `replace` backfill of one stream that the replicator itself decided it needs (a stored cursor Nango
 * keeps rejecting, a webhook announcing a full re-sync), logged with `reason`. Deduplicated per stream while one is
 * pending or running (BullMQ deduplication, cleared when it finishes), so a stream failing every minute causes one
 * backfill, not one per failure. The breaker applies (`force` false): a suspicious pass deletes nothing.
 */
export async function scheduleAutomaticBackfill(
  deps: { queue: Pick<Queue<BackfillJobInput>, 'add'>; logger: Logger },
  stream: StreamKey,
  options: { reason: string; jobOptions: JobsOptions },
): Promise<AutomaticBackfillOutcome> {
  // The base variant keeps the id it had before variants (a queued backfill deduplicates against it).
  const parts = [stream.providerConfigKey, stream.connectionId, stream.model];
  if (stream.variant !== BASE_VARIANT) parts.push(stream.variant);
  const dedupId = `auto-replace/${parts.map(encodeURIComponent).join('/')}`;
  const data: BackfillJobInput = { ...streamMessageFields(stream), mode: 'replace', reason: options.reason };
  const jobId = `${dedupId}/${randomUUID()}`;
  const job = await deps.queue.add(BACKFILL_JOB, data, { ...options.jobOptions, jobId, deduplication: { id: dedupId } });
  // A deduplicated add answers with the job already there.
  const outcome: AutomaticBackfillOutcome = job.id === jobId ? 'enqueued' : 'already-queued';
  const facts = {
    integration: stream.providerConfigKey,
    connection: stream.connectionId,
    model: stream.model,
    variant: stream.variant,
    reason: options.reason,
    jobId: job.id,
  };
  if (outcome === 'enqueued') deps.logger.warn(facts, 'scheduled a replace backfill of the stream');
  else deps.logger.info(facts, 'a replace backfill of the stream is already queued');
  return outcome;
}
