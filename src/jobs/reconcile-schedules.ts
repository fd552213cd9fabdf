import type { JobSchedulerTemplateOptions, Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { StreamRule } from '../config/replicator-config.js';
import type { NangoClient } from '../nango/nango-client.js';
import type { ScriptsConfigCache } from '../nango/scripts-config-cache.js';
import { forEachBounded } from '../util/for-each-bounded.js';
import { type DesiredStream, desiredStreams, integrationsToList, needsScriptsConfig } from './desired-streams.js';
import { type ExistingScheduler, listSyncSchedulers } from './list-sync-schedulers.js';
import { SYNC_JOB } from './queue-names.js';
import type { SyncJobInput } from './sync-job-data.js';

export interface ReconcileDeps {
  nango: NangoClient;
  scriptsConfig: ScriptsConfigCache;
  /** The `nango-sync` queue. */
  queue: Queue<SyncJobInput>;
  logger: Logger;
  /** Told the desired streams and their periods on each pass (e.g. `recordStreamPeriods`, for the views). */
  onDesired?: (streams: ReadonlyArray<DesiredStream>) => Promise<void>;
}

export interface ReconcileOptions {
  rules: ReadonlyArray<StreamRule>;
  /** Options of the jobs the schedulers create. */
  jobOptions: JobSchedulerTemplateOptions;
  /** Redis calls in flight at once. Default 50. */
  concurrency?: number;
  signal?: AbortSignal;
}

export interface ReconcileSummary {
  desired: number;
  added: number;
  updated: number;
  removed: number;
  unchanged: number;
  /** Things an operator may want to know (an integration without syncs, a model without a frequency). */
  notes: string[];
}

/**
 * One discovery pass: asks Nango which connections and models exist, expands the `streams` rules, and makes the
 * queue hold exactly one job scheduler per desired stream. New streams get one (their first job runs at once), a
 * changed `every` is updated, streams no longer desired lose theirs (their rows and state stay in Postgres).
 * If Nango cannot be read, nothing is changed: the error propagates and the schedules stay as they were.
 */
export async function reconcileSchedules(deps: ReconcileDeps, options: ReconcileOptions): Promise<ReconcileSummary> {
  const { signal, rules } = options;
  const integrations = integrationsToList(rules);
  const connections = integrations.length === 0 ? [] : await deps.nango.listConnections({ integrationIds: integrations, signal });
  const scriptsConfig = needsScriptsConfig(rules) ? await deps.scriptsConfig.get({ fresh: true, signal }) : null;
  const { streams, notes } = desiredStreams(rules, { connections, scriptsConfig });
  await deps.onDesired?.(streams);
  const existing = await listSyncSchedulers(deps.queue, signal);

  const upserts: Array<{ desired: DesiredStream; isNew: boolean }> = [];
  let unchanged = 0;
  for (const desired of streams) {
    const current = existing.get(desired.id);
    existing.delete(desired.id);
    if (current !== undefined && isCurrent(current, desired, options.jobOptions)) unchanged += 1;
    else upserts.push({ desired, isNew: current === undefined });
  }
  const removals = [...existing.keys()];

  const concurrency = options.concurrency ?? 50;
  await forEachBounded(upserts, concurrency, async ({ desired, isNew }) => {
    signal?.throwIfAborted();
    await deps.queue.upsertJobScheduler(
      desired.id,
      { every: desired.everyMs },
      { name: SYNC_JOB, data: templateData(desired), opts: options.jobOptions },
    );
    deps.logger.info({ scheduler: desired.id, everyMs: desired.everyMs }, isNew ? 'stream scheduled' : 'stream schedule updated');
  });
  await forEachBounded(removals, concurrency, async (id) => {
    signal?.throwIfAborted();
    await deps.queue.removeJobScheduler(id);
    deps.logger.info({ scheduler: id }, 'stream no longer followed: schedule removed, its rows stay');
  });
  const added = upserts.filter((u) => u.isNew).length;
  return { desired: streams.length, added, updated: upserts.length - added, removed: removals.length, unchanged, notes };
}

function templateData(desired: DesiredStream): SyncJobInput {
  return { ...desired.stream, trigger: 'schedule' };
}

function isCurrent(current: ExistingScheduler, desired: DesiredStream, jobOptions: JobSchedulerTemplateOptions): boolean {
  return (
    current.everyMs === desired.everyMs &&
    current.dataJson === JSON.stringify(templateData(desired)) &&
    current.attempts === jobOptions.attempts
  );
}
