import { type Job, UnrecoverableError, WaitingChildrenError } from 'bullmq';
import type { Logger } from 'pino';
import type { NangoClient } from '../../nango/nango-client.js';
import type { ScriptsConfigCache } from '../../nango/scripts-config-cache.js';
import { describeStream } from '../../stream/stream-key.js';
import { type BackfillJobData, modifiedAfterOf, parseBackfillJobData } from './backfill-job-data.js';
import { type BackfillStreamJobInput, backfillStreamJobId } from './backfill-stream-job-data.js';
import { listBackfillStreams } from './list-backfill-streams.js';
import { type BackfillSummary, summarizeBackfill } from './summarize-backfill.js';
import type { KnownVariant } from '../../store/record-listed-variants.js';
import { streamMessageFields } from '../../stream/stream-message-fields.js';

export interface BackfillJobDeps {
  nango: NangoClient;
  scriptsConfig: ScriptsConfigCache;
  /** The variants followed (`listKnownVariants`): a message without a variant covers them too. */
  knownVariants?(integrations: ReadonlyArray<string>): Promise<ReadonlyArray<KnownVariant>>;
  logger: Logger;
  /** Adds `backfill-stream` jobs as children of `parent` (a child whose id exists already is not added again). */
  addStreamJobs(parent: { id: string; queue: string }, jobs: ReadonlyArray<{ id: string; data: BackfillStreamJobInput }>): Promise<void>;
  /** Epoch ms, for the 12-month check of `since`. Default Date.now. */
  now?: () => number;
}

/** The BullMQ progress of a `backfill` job: its streams are queued, then (when all are done) the summary. */
export type BackfillJobProgress = { phase: 'streams-queued'; streams: number } | ({ phase: 'done' } & BackfillSummary);

/**
 * A `backfill` message: validated (a bad one fails for good, naming the field), expanded into one `backfill-stream`
 * child job per stream, then parked in BullMQ's waiting-children state until every child has finished; BullMQ
 * then runs it again, and it returns the summary of its children. A stream that failed for good fails the whole
 * backfill (after the others finished), with the summary still in its progress. Re-entry is recognised by the
 * progress it set (`streams-queued`); children have deterministic ids, so a stalled first run adds them once.
 */
export async function processBackfillJob(deps: BackfillJobDeps, job: Job, token: string, signal: AbortSignal): Promise<BackfillSummary> {
  const data = parseBackfillJobData(job.data, (deps.now ?? Date.now)());
  const jobId = String(job.id);
  const logger = deps.logger.child({ integration: data.providerConfigKey, jobId });
  let streams = queuedStreams(job.progress);
  if (streams === null) {
    streams = await queueStreams(deps, data, { id: jobId, queue: job.queueQualifiedName }, signal);
    logger.info(
      {
        streams,
        connection: data.connectionId,
        model: data.model,
        mode: data.mode,
        since: data.since,
        force: data.force,
        reason: data.reason,
      },
      'backfill requested: one job per stream',
    );
    await job.updateProgress({ phase: 'streams-queued', streams } satisfies BackfillJobProgress);
  }
  if (await job.moveToWaitingChildren(token)) throw new WaitingChildrenError();

  const summary = summarizeBackfill(streams, await job.getChildrenValues(), await job.getIgnoredChildrenFailures());
  await job.updateProgress({ phase: 'done', ...summary } satisfies BackfillJobProgress);
  const { reports: _reports, failures, ...totals } = summary;
  if (summary.failed > 0) {
    logger.warn({ ...totals, failures: failures.slice(0, 10) }, 'backfill finished with failed streams');
    const first = failures[0];
    const example = first === undefined ? '' : `; ${first.stream === null ? 'a stream' : describeStream(first.stream)}: ${first.reason}`;
    throw new UnrecoverableError(`${summary.failed} of ${streams} streams failed${example}`);
  }
  logger.info(totals, summary.refused > 0 ? 'backfill finished; the circuit breaker refused some deletes' : 'backfill finished');
  return summary;
}

async function queueStreams(
  deps: BackfillJobDeps,
  data: BackfillJobData,
  parent: { id: string; queue: string },
  signal: AbortSignal,
): Promise<number> {
  const streams = await listBackfillStreams(deps, data, signal);
  // Normalised once: UTC `Z` form, which is what Nango accepts.
  const since = data.since === undefined ? undefined : modifiedAfterOf(data.since, (deps.now ?? Date.now)()).toISOString();
  await deps.addStreamJobs(
    parent,
    streams.map((stream) => ({
      id: backfillStreamJobId(parent.id, stream),
      data: { ...streamMessageFields(stream), mode: data.mode, since, force: data.force },
    })),
  );
  return streams.length;
}

/** The number of streams a previous run of this job queued, or null on its first run. */
function queuedStreams(progress: unknown): number | null {
  if (typeof progress !== 'object' || progress === null) return null;
  const { phase, streams } = progress as { phase?: unknown; streams?: unknown };
  return (phase === 'streams-queued' || phase === 'done') && typeof streams === 'number' ? streams : null;
}
