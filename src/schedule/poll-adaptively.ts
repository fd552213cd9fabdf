import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { errorSummary } from '../errors/error-summary.js';
import type { SyncJobRef, SyncJobResult } from '../jobs/sync/process-sync-job.js';
import { parseSyncJobData, streamOf } from '../jobs/sync/sync-job-data.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import { isDue, pollingPlan } from '../store/polling-plan.js';
import { loadPollingState, recordRead } from './polling-state.js';

type Process = (job: SyncJobRef, signal: AbortSignal) => Promise<SyncJobResult>;

/**
 * Wraps the sync job processor with adaptive polling (docs/decisions/0012-adaptive-polling-schedule.md):
 * - a scheduled tick (every `every`) first asks Postgres whether its stream is due (no API call); if not, the job
 *   ends `not-due`;
 * - every read that reaches the end is recorded (`recordRead`): changes no webhook announced bring the stream back to
 *   `every` and mark the integration's webhooks missing (logged once per integration and process), announced ones
 *   leave its period as it was, an empty read doubles it up to the safety net.
 * Other triggers (webhook, manual, follow-up, continuation) always read, and touch Postgres only after their read
 * (a job that finds its stream busy must end at once, whatever the database is doing); the pull that reads a newly
 * scheduled stream stores the schedule it carries then. A failure to read or store
 * the polling state never fails the job: the tick then reads, as it did before adaptive polling.
 */
export function pollAdaptively(process: Process, deps: { db: Kysely<ReplicatorDatabase>; logger: Logger }): Process {
  const warned = new Set<string>();
  return async (job, signal) => {
    const data = parseSyncJobData(job.data);
    const stream = streamOf(data);
    let startedAt: Date | null = null;
    try {
      if (data.trigger === 'schedule' && data.everyMs !== undefined) {
        const settings = { everyMs: data.everyMs, safetyNetMs: data.safetyNetMs ?? data.everyMs };
        const { state, now } = await loadPollingState(deps.db, stream, settings);
        if (now !== null && !isDue(state, now)) return { outcome: 'not-due' };
        startedAt = now;
        const { reason } = pollingPlan(state);
        if (reason !== null) deps.logger.debug({ ...stream, jobId: job.id, reason }, 'safety-net read');
      }
    } catch (error) {
      deps.logger.warn({ err: errorSummary(error), jobId: job.id }, 'polling state unreadable: this tick reads the stream');
    }
    const result = await process(job, signal);
    if (result.outcome !== 'synced') return result;
    if (data.trigger !== 'schedule' && data.everyMs !== undefined) {
      // The pull that reads a newly scheduled stream carries its schedule: stored now, the stream has a polling period
      // from this first read, not from its first tick (which stores it before reading).
      try {
        await loadPollingState(deps.db, stream, { everyMs: data.everyMs, safetyNetMs: data.safetyNetMs ?? data.everyMs });
      } catch (error) {
        deps.logger.warn({ err: errorSummary(error), jobId: job.id }, 'could not store the schedule of a new stream; its first tick will');
      }
    }
    // A slice that did not reach the end found records; its continuation records the read.
    if (!result.complete) return result;
    try {
      const { unannounced } = await recordRead(deps.db, stream, { startedAt, records: result.records });
      if (unannounced && !warned.has(stream.providerConfigKey)) {
        warned.add(stream.providerConfigKey);
        deps.logger.warn(
          { integration: stream.providerConfigKey, connection: stream.connectionId, model: stream.model, variant: stream.variant },
          "a read found changes no webhook announced: this integration's webhooks are not arriving (a self-hosted Nango skips " +
            'private addresses, docs/nango-api.md 5.2); its streams keep polling at `every`',
        );
      }
    } catch (error) {
      deps.logger.warn({ err: errorSummary(error), jobId: job.id }, 'could not store the read for adaptive polling');
    }
    return result;
  };
}
