/** The latest job of one sync for one connection, as `GET /sync/status` reports it (docs/nango-api.md 10.1). */
export interface SyncJob {
  status: 'RUNNING' | 'SUCCESS' | 'ERROR';
  /** Job start and end, epoch ms; no end while running. */
  startedAtMs: number;
  finishedAtMs: number | null;
  /** Counts of this job only, per base model. */
  latestResult: Record<string, { added: number; updated: number; deleted: number }>;
}

/**
 * The stand-in's sync jobs and schedules per (integration, connection, sync): what a test says Nango's scheduler
 * did. Only the latest job is kept (Nango's `/sync/status` shows no other). A schedule marked missing makes every
 * `/sync/status` answer naming that sync a 500 (Nango's orchestrator has no schedule for it). A variant's jobs and
 * schedule are those of the sync name `name::variant` (`finish(key, conn, 'items::v1', ...)`, as its records are
 * those of `Model::variant`); `latestResult` is keyed by the base model name for a variant too (REFERENCE 10.1).
 */
export class SyncJobs {
  readonly #latest = new Map<string, SyncJob>();
  readonly #missingSchedules = new Set<string>();

  /** A job of the sync starts now (`RUNNING`, no `finishedAt`); it replaces the previous latest job. */
  start(providerConfigKey: string, connectionId: string, syncName: string, atMs: number): void {
    const job: SyncJob = { status: 'RUNNING', startedAtMs: atMs, finishedAtMs: null, latestResult: {} };
    this.#latest.set(key(providerConfigKey, connectionId, syncName), job);
  }

  /** The latest job ends (a job is started first if none runs) with these counts. */
  finish(
    providerConfigKey: string,
    connectionId: string,
    syncName: string,
    atMs: number,
    outcome: { status?: 'SUCCESS' | 'ERROR'; latestResult?: SyncJob['latestResult'] } = {},
  ): void {
    const k = key(providerConfigKey, connectionId, syncName);
    const running = this.#latest.get(k);
    this.#latest.set(k, {
      status: outcome.status ?? 'SUCCESS',
      startedAtMs: running?.status === 'RUNNING' ? running.startedAtMs : atMs,
      finishedAtMs: atMs,
      latestResult: outcome.latestResult ?? running?.latestResult ?? {},
    });
  }

  latest(providerConfigKey: string, connectionId: string, syncName: string): SyncJob | undefined {
    return this.#latest.get(key(providerConfigKey, connectionId, syncName));
  }

  /** Nango's orchestrator loses (true) or regains (false) the schedule of one sync of one connection. */
  setScheduleMissing(providerConfigKey: string, connectionId: string, syncName: string, missing = true): void {
    const k = key(providerConfigKey, connectionId, syncName);
    if (missing) this.#missingSchedules.add(k);
    else this.#missingSchedules.delete(k);
  }

  isScheduleMissing(providerConfigKey: string, connectionId: string, syncName: string): boolean {
    return this.#missingSchedules.has(key(providerConfigKey, connectionId, syncName));
  }
}

function key(providerConfigKey: string, connectionId: string, syncName: string): string {
  return `${providerConfigKey}\u0000${connectionId}\u0000${syncName}`;
}
