import type { Job, JobSchedulerTemplateOptions, Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { StreamRule } from '../../config/replicator-config.js';
import type { NangoConnection } from '../../nango/list-connections.js';
import type { NangoClient } from '../../nango/nango-client.js';
import type { ScriptsConfigCache } from '../../nango/scripts-config-cache.js';
import type { ConnectionsRefresh } from '../../store/refresh-connections-table.js';
import type { KnownVariant } from '../../store/record-listed-variants.js';
import { forEachBounded } from '../../util/for-each-bounded.js';
import { type DesiredStream, desiredStreams, integrationsToList, needsScriptsConfig } from './desired-streams.js';
import { type ExistingScheduler, getSyncScheduler, syncSchedulerPages } from './list-sync-schedulers.js';
import { schedulerOffsetMs } from './scheduler-offset.js';
import { SYNC_JOB } from '../queue/queue-names.js';
import type { SyncJobInput } from '../sync/sync-job-data.js';
import { pullStreamOnce } from '../sync/request-stream-sync.js';
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
  /**
   * Schedulers moved to their stream's slot in the period (`schedulerOffsetMs`): made by a version that ticked at
   * their creation time. Once per scheduler; not a repair.
   */
  moved: number;
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
 * queue hold exactly one job scheduler per desired stream, ticking at the stream's own slot in its period
 * (`schedulerOffsetMs`, so a fleet's ticks spread over the period). New streams get one and are read at once (one
 * 'manual' pull, unless their first tick is due within a minute anyway), a changed `every` is updated, a scheduler off
 * its slot is moved to it, streams no longer desired lose theirs (their rows and state stay in Postgres).
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
  const { upserts, removals, unchanged, late } = await compareWithQueue(deps.queue, streams, options.jobOptions, signal);
  const stuck = await findStuckSchedulers(deps.queue, late);
  const unscheduled = upserts.filter((u) => u.kind === 'new').map((u) => u.desired.id);
  const lost = unscheduled.length === 0 || deps.wasScheduled === undefined ? new Set<string>() : await deps.wasScheduled(unscheduled);
  const schedule = (desired: DesiredStream) => upsertStreamScheduler(deps.queue, desired, options.jobOptions);
  // A scheduler's first job waits for the stream's slot: a stream that had none (or lost its next job) is read now.
  const readNow = async (desired: DesiredStream, firstJob: Job | undefined) => {
    if (firstJob !== undefined && (firstJob.opts.delay ?? 0) <= FIRST_TICK_SOON_MS) return;
    await pullStreamOnce(deps.queue, desired.stream, {
      trigger: 'manual',
      jobOptions: options.jobOptions,
      schedule: { everyMs: desired.everyMs, safetyNetMs: desired.safetyNetMs },
    });
  };

  const concurrency = options.concurrency ?? 50;
  await forEachBounded(upserts, concurrency, async ({ desired, kind }) => {
    signal?.throwIfAborted();
    if (kind === 'moved') {
      // An upsert with only a new offset keeps the next job's time, and every later one follows it by `every`: the
      // offset would never apply. Removed first, the new scheduler's next job is the first slot after now: no tick
      // at once, and the stream waits at most one period more, once.
      await deps.queue.removeJobScheduler(desired.id);
      await schedule(desired);
      deps.logger.debug({ scheduler: desired.id, everyMs: desired.everyMs }, 'stream schedule moved to its slot in the period');
      return;
    }
    const firstJob = await schedule(desired);
    if (kind === 'new') await readNow(desired, firstJob);
    if (lost.has(desired.id)) deps.logger.warn({ scheduler: desired.id }, 'scheduler repaired: it was missing, re-created');
    else {
      const msg = kind === 'new' ? 'stream scheduled' : 'stream schedule updated';
      deps.logger.info({ scheduler: desired.id, everyMs: desired.everyMs }, msg);
    }
  });
  await forEachBounded(stuck, concurrency, async (desired) => {
    signal?.throwIfAborted();
    // Removed first: an upsert with unchanged settings would keep the lost next job's time and add no job.
    await deps.queue.removeJobScheduler(desired.id);
    await readNow(desired, await schedule(desired));
    deps.logger.warn({ scheduler: desired.id }, 'scheduler repaired: its next job was gone, re-created');
  });
  await forEachBounded(removals, concurrency, async (id) => {
    signal?.throwIfAborted();
    await deps.queue.removeJobScheduler(id);
    deps.logger.info({ scheduler: id }, 'stream no longer followed: schedule removed, its rows stay');
  });
  const added = unscheduled.length - lost.size;
  const moved = upserts.filter((u) => u.kind === 'moved').length;
  const updated = upserts.length - unscheduled.length - moved;
  const repaired = lost.size + stuck.length;
  const summary = { desired: streams.length, added, updated, moved, removed: removals.length, unchanged, repaired, notes };
  if (tracked === null) return summary;
  const { missing, deleted } = tracked;
  return { ...summary, connections: { added: tracked.added, updated: tracked.updated, missing: missing.length, deleted: deleted.length } };
}

/**
 * Compares the queue's stream schedulers, read a page at a time, with the desired streams: those to upsert (new,
 * changed, or off their slot: to move), the schedulers no desired stream has (to remove), how many are current, and
 * the current ones that are late: their next job was due more than a period (and at least 5 s) ago, so it may be
 * gone (see `findStuckSchedulers`). Keeps one id per scheduler seen, never the listing.
 */
async function compareWithQueue(
  queue: Queue<SyncJobInput>,
  streams: ReadonlyArray<DesiredStream>,
  jobOptions: JobSchedulerTemplateOptions,
  signal: AbortSignal | undefined,
): Promise<{
  upserts: Upsert[];
  removals: string[];
  unchanged: number;
  late: Array<{ desired: DesiredStream; next: number }>;
}> {
  const desiredById = new Map(streams.map((d) => [d.id, d]));
  const seen = new Set<string>();
  const upserts: Upsert[] = [];
  const removals: string[] = [];
  const late: Array<{ desired: DesiredStream; next: number }> = [];
  let unchanged = 0;
  const nowMs = Date.now();
  const compare = (current: ExistingScheduler, desired: DesiredStream) => {
    const kind = changeOf(current, desired, jobOptions);
    if (kind !== null) {
      upserts.push({ desired, kind });
      return;
    }
    unchanged += 1;
    const { next } = current;
    if (next !== undefined && next < nowMs - Math.max(desired.everyMs, 5000)) late.push({ desired, next });
  };
  for await (const page of syncSchedulerPages(queue, signal)) {
    for (const current of page) {
      if (seen.has(current.id)) continue;
      seen.add(current.id);
      const desired = desiredById.get(current.id);
      if (desired === undefined) removals.push(current.id);
      else compare(current, desired);
    }
  }
  // The listing moves while it is paged (a scheduler that ticks shifts the rest down a place), so a desired stream
  // not seen is looked up by id: taken for new, a skipped one would be read at once each pass, for nothing (at
  // 30,000 streams every 15 minutes, a hundred needless reads a minute).
  const unseen = streams.filter((desired) => !seen.has(desired.id));
  await forEachBounded(unseen, LOOKUP_CONCURRENCY, async (desired) => {
    signal?.throwIfAborted();
    const current = await getSyncScheduler(queue, desired.id);
    if (current === undefined) upserts.push({ desired, kind: 'new' });
    else compare(current, desired);
  });
  return { upserts, removals, unchanged, late };
}

/**
 * Of the late schedulers, those stuck: their next job is neither waiting nor running (gone, or finished without a
 * successor), so the scheduler would never fire again. One Redis call per late scheduler, none for the others.
 */
const PENDING = new Set(['waiting', 'delayed', 'active', 'prioritized', 'waiting-children']);

async function findStuckSchedulers(
  queue: Queue<SyncJobInput>,
  late: ReadonlyArray<{ desired: DesiredStream; next: number }>,
): Promise<DesiredStream[]> {
  const stuck: DesiredStream[] = [];
  await forEachBounded(late, 50, async ({ desired, next }) => {
    const state = await queue.getJobState(`repeat:${desired.id}:${next}`);
    if (!PENDING.has(state)) stuck.push(desired);
  });
  return stuck;
}

function templateData(desired: DesiredStream): SyncJobInput {
  return { ...streamMessageFields(desired.stream), trigger: 'schedule', everyMs: desired.everyMs, safetyNetMs: desired.safetyNetMs };
}

/** Schedulers looked up by id at once (those the paged listing did not show). */
const LOOKUP_CONCURRENCY = 50;

/** A first tick due within this long reads a new stream soon enough: no pull is added, ms. */
const FIRST_TICK_SOON_MS = 60_000;

/** A scheduler to write: for a stream that has none, one whose settings changed, or one off its slot. */
interface Upsert {
  desired: DesiredStream;
  kind: 'new' | 'changed' | 'moved';
}

/** Creates or updates the stream's scheduler, its ticks at the stream's slot; returns its next job. */
async function upsertStreamScheduler(
  queue: Queue<SyncJobInput>,
  desired: DesiredStream,
  jobOptions: JobSchedulerTemplateOptions,
): Promise<Job<SyncJobInput> | undefined> {
  return queue.upsertJobScheduler(
    desired.id,
    { every: desired.everyMs, offset: schedulerOffsetMs(desired.id, desired.everyMs) },
    { name: SYNC_JOB, data: templateData(desired), opts: jobOptions },
  );
}

/**
 * How a scheduler differs from its desired stream, or null when it is current. A changed `every` is a plain update
 * (BullMQ then aligns the next job to the new offset); the same `every` off the stream's slot (stored offset, or the
 * next job's time, elsewhere in the period) must be moved.
 */
function changeOf(current: ExistingScheduler, desired: DesiredStream, jobOptions: JobSchedulerTemplateOptions): Upsert['kind'] | null {
  if (current.everyMs !== desired.everyMs) return 'changed';
  const offsetMs = schedulerOffsetMs(desired.id, desired.everyMs);
  if (current.offsetMs !== offsetMs || (current.next !== undefined && current.next % desired.everyMs !== offsetMs)) return 'moved';
  const same = current.dataJson === JSON.stringify(templateData(desired)) && current.attempts === jobOptions.attempts;
  return same ? null : 'changed';
}
