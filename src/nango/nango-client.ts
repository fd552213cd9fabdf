import { getScriptsConfig } from './get-scripts-config.js';
import { getSyncStatus, type SyncStatusItem } from './get-sync-status.js';
import { type NangoConnection, listConnections } from './list-connections.js';
import { type ListRecordsParams, listRecords } from './list-records.js';
import type { NangoHttpDeps, NangoHttpOptions } from './nango-request.js';
import type { RecordsPage } from '../write/records-page.js';
import { type PruneRecordsParams, type PruneResult, pruneRecords } from './prune-records.js';

/** The Nango API as the replicator uses it. Every call takes a token from the gate first. */
export interface NangoClient {
  listRecords(params: ListRecordsParams): AsyncGenerator<RecordsPage>;
  getScriptsConfig(params?: { signal?: AbortSignal }): Promise<unknown[]>;
  listConnections(params?: { integrationIds?: ReadonlyArray<string>; signal?: AbortSignal }): Promise<NangoConnection[]>;
  /** `PATCH /records/prune` up to a cursor (docs/nango-api.md 1.8). Absent on test doubles that never prune. */
  pruneRecords?(params: PruneRecordsParams): Promise<PruneResult>;
  /**
   * The user lets the replicator prune what it committed (`nango.pruneAfterCommit`), see `pruneAfterCommit` in
   * src/replicate/. Carried by the client so that every reader of records gets it from the one place that opens it.
   * Default false.
   */
  readonly pruneAfterCommit?: boolean;
  /**
   * `GET /sync/status` of a whole integration (or of one connection with `connectionId`), as a hint: no retries, and
   * `timeoutMs` (default the request timeout) bounds the wait. Optional so a test's stand-in client may leave it out.
   */
  getSyncStatus?(params: {
    providerConfigKey: string;
    connectionId?: string;
    timeoutMs?: number;
    signal?: AbortSignal;
  }): Promise<SyncStatusItem[]>;
}

/** Binds the Nango endpoints to one set of deps and options. No I/O until a method is called. */
export function createNangoClient(deps: NangoHttpDeps, options: NangoHttpOptions & { pruneAfterCommit?: boolean }): NangoClient {
  return {
    listRecords: (params) => listRecords(deps, options, params),
    getScriptsConfig: (params) => getScriptsConfig(deps, options, params),
    listConnections: (params) => listConnections(deps, options, params ?? {}),
    // One attempt per page: a failed prune is tried again after the next commit (and a 429 still waits).
    pruneRecords: (params) => pruneRecords(deps, { ...options, retries: 0 }, params),
    pruneAfterCommit: options.pruneAfterCommit ?? false,
    getSyncStatus: (params) =>
      getSyncStatus(deps, { ...options, retries: 0, requestTimeoutMs: params.timeoutMs ?? options.requestTimeoutMs }, params),
  };
}
