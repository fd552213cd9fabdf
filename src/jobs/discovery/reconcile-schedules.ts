import type { JobSchedulerTemplateOptions, Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { StreamRule } from '../../config/replicator-config.js';
import type { NangoConnection } from '../../nango/list-connections.js';
import type { NangoClient } from '../../nango/nango-client.js';
import type { ScriptsConfigCache } from '../../nango/scripts-config-cache.js';
import type { ConnectionsRefresh } from '../../store/refresh-connections-table.js';
import type { KnownVariant } from '../../store/record-listed-variants.js';
import { forEachBounded } from '../../util/for-each-bounded.js';
import { type DesiredStream, desiredStreams, integrationsToList, needsScriptsConfig } from './desired-streams.js';
import { type ExistingScheduler, listSyncSchedulers } from './list-sync-schedulers.js';
import { SYNC_JOB } from '../queue/queue-names.js';
import type { SyncJobInput } from '../sync/sync-job-data.js';
import { streamMessageFields } from '../../stream/stream-message-fields.js';

export interface ReconcileDeps {
  nango: NangoClient;
  scriptsConfig: ScriptsConfigCache;
  /** The `nango-sync` queue. */
  queue: Queue<SyncJobInput>;
  logger: Logger;
  /**
   * Records each complete listing (e.g. `refreshConnectionsTable` bound to its deps) and says which connections a
   * listing missed once (still followed) and which are gone (missed twice in a row: no longer synced). Absent: a
   * connection missing from a listing loses its schedulers at once.
   */
  trackConnections?(listed: ReadonlyArray<NangoConnection>, integrations: ReadonlyArray<string>): Promise<ConnectionsRefresh>;
  /**
   * Of these scheduler ids (missing from the queue), those whose stream had a schedule before: re-creating theirs
   * is a repair (a scheduler deleted by hand, or lost), counted in `repaired`. Absent: every missing one is new.
   */
  wasScheduled?(ids: ReadonlyArray<string>): Promise<ReadonlySet<string>>;
  /** The sync variants known for these integrations (`listKnownVariants`). Absent: the plain syncs only. */
  knownVariants?(integrations: ReadonlyArray<string>): Promise<ReadonlyArray<KnownVariant>>;
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
  /**
   * Schedulers repaired: re-created although their stream had one (see `wasScheduled`), or stuck (their next job
   * gone, so they would never fire again) and re-created. Each is also logged.
   */
  repaired: number;
  /** Things an operator may want to know (an integration without syncs, a model without a frequency). */
  notes: string[];
  /** With `trackConnections`: connections added, changed, missed once and found deleted by this listing. */
  connections?: { added: number; updated: number; missing: number; deleted: number };
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
  const tracked = deps.trackConnections && integrations.length > 0 ? await deps.trackConnections(connections, integrations) : null;
  const variants = (await deps.knownVariants?.(integrations)) ?? [];
  const desired = desiredStreams(rules, { connections: [...connections, ...(tracked?.missing ?? [])], scriptsConfig, variants });
  const gone = new Set(tracked?.gone.map((c) => `${c.providerConfigKey}\u0000${c.connectionId}`));
  const streams = desired.streams.filter((s) => !gone.has(`${s.stream.providerConfigKey}\u0000${s.stream.connectionId}`));
  const { notes } = desired;
  await deps.onDesired?.(streams);
  const existing = await listSyncSchedulers(deps.queue, signal);
  const existingById = new Map(existing);

  const upserts: Array<{ desired: DesiredStream; isNew: boolean }> = [];
  let unchanged = 0;
  for (const desired of streams) {
    const current = existing.get(desired.id);
    existing.delete(desired.id);
    if (current !== undefined && isCurrent(current, desired, options.jobOptions)) unchanged += 1;
    else upserts.push({ desired, isNew: current === undefined });
  }
  const removals = [...existing.keys()];
  const upserted = new Set(upserts.map((u) => u.desired.id));
  const current = streams.filter((d) => !upserted.has(d.id));
  const stuck = await findStuckSchedulers(deps.queue, current, existingById, Date.now());
  const unscheduled = upserts.filter((u) => u.isNew).map((u) => u.desired.id);
  const lost = unscheduled.length === 0 || deps.wasScheduled === undefined ? new Set<string>() : await deps.wasScheduled(unscheduled);

  const concurrency = options.concurrency ?? 50;
  await forEachBounded(upserts, concurrency, async ({ desired, isNew }) => {
    signal?.throwIfAborted();
    await deps.queue.upsertJobScheduler(
      desired.id,
      { every: desired.everyMs },
      { name: SYNC_JOB, data: templateData(desired), opts: options.jobOptions },
    );
    if (lost.has(desired.id)) deps.logger.warn({ scheduler: desired.id }, 'scheduler repaired: it was missing, re-created');
    else deps.logger.info({ scheduler: desired.id, everyMs: desired.everyMs }, isNew ? 'stream scheduled' : 'stream schedule updated');
  });
  await forEachBounded(stuck, concurrency, async (desired) => {
    signal?.throwIfAborted();
    // Removed first: an upsert with unchanged settings would keep the lost next job's time and add no job.
    await deps.queue.removeJobScheduler(desired.id);
    await deps.queue.upsertJobScheduler(
      desired.id,
      { every: desired.everyMs },
      { name: SYNC_JOB, data: templateData(desired), opts: options.jobOptions },
    );
    deps.logger.warn({ scheduler: desired.id }, 'scheduler repaired: its next job was gone, re-created');
  });
  await forEachBounded(removals, concurrency, async (id) => {
    signal?.throwIfAborted();
    await deps.queue.removeJobScheduler(id);
    deps.logger.info({ scheduler: id }, 'stream no longer followed: schedule removed, its rows stay');
  });
  const added = unscheduled.length - lost.size;
  const updated = upserts.length - unscheduled.length;
  const repaired = lost.size + stuck.length;
  const summary = { desired: streams.length, added, updated, removed: removals.length, unchanged, repaired, notes };
  if (tracked === null) return summary;
  const { missing, deleted } = tracked;
  return { ...summary, connections: { added: tracked.added, updated: tracked.updated, missing: missing.length, deleted: deleted.length } };
}

/**
 * The desired streams whose scheduler is in place but stuck: its next job, due more than a period (and at least
 * 5 s) ago, is neither waiting nor running (gone, or finished without a successor), so the scheduler would never
 * fire again. One Redis call per scheduler late that much,
 * none for the others.
 */
const PENDING = new Set(['waiting', 'delayed', 'active', 'prioritized', 'waiting-children']);

async function findStuckSchedulers(
  queue: Queue<SyncJobInput>,
  streams: ReadonlyArray<DesiredStream>,
  existing: ReadonlyMap<string, ExistingScheduler>,
  nowMs: number,
): Promise<DesiredStream[]> {
  const late = streams.filter((d) => {
    const next = existing.get(d.id)?.next;
    return next !== undefined && next < nowMs - Math.max(d.everyMs, 5000);
  });
  const stuck: DesiredStream[] = [];
  await forEachBounded(late, 50, async (desired) => {
    const next = existing.get(desired.id)?.next;
    const state = await queue.getJobState(`repeat:${desired.id}:${next}`);
    if (!PENDING.has(state)) stuck.push(desired);
  });
  return stuck;
}

function templateData(desired: DesiredStream): SyncJobInput {
  return { ...streamMessageFields(desired.stream), trigger: 'schedule', everyMs: desired.everyMs, safetyNetMs: desired.safetyNetMs };
}

function isCurrent(current: ExistingScheduler, desired: DesiredStream, jobOptions: JobSchedulerTemplateOptions): boolean {
  return (
    current.everyMs === desired.everyMs &&
    current.dataJson === JSON.stringify(templateData(desired)) &&
    current.attempts === jobOptions.attempts
  );
}
