import { getScriptsConfig } from './get-scripts-config.js';
import { getSyncStatus, type SyncStatusItem } from './get-sync-status.js';
import { type NangoConnection, listConnections } from './list-connections.js';
import { type ListRecordsParams, listRecords } from './list-records.js';
import type { NangoHttpDeps, NangoHttpOptions } from './nango-request.js';
import type { RecordsPage } from './nango-record.js';

/** The Nango API as the replicator uses it. Every call takes a token from the gate first. */
export interface NangoClient {
  listRecords(params: ListRecordsParams): AsyncGenerator<RecordsPage>;
  getScriptsConfig(params?: { signal?: AbortSignal }): Promise<unknown[]>;
  listConnections(params?: { integrationIds?: ReadonlyArray<string>; signal?: AbortSignal }): Promise<NangoConnection[]>;
  /**
   * `GET /sync/status` of a whole integration, as a hint: no retries, and `timeoutMs` (default the request timeout)
   * bounds the wait. Optional so a test's stand-in client may leave it out.
   */
  getSyncStatus?(params: { providerConfigKey: string; timeoutMs?: number; signal?: AbortSignal }): Promise<SyncStatusItem[]>;
}

/** Binds the Nango endpoints to one set of deps and options. No I/O until a method is called. */
export function createNangoClient(deps: NangoHttpDeps, options: NangoHttpOptions): NangoClient {
  return {
    listRecords: (params) => listRecords(deps, options, params),
    getScriptsConfig: (params) => getScriptsConfig(deps, options, params),
    listConnections: (params) => listConnections(deps, options, params ?? {}),
    getSyncStatus: (params) =>
      getSyncStatus(deps, { ...options, retries: 0, requestTimeoutMs: params.timeoutMs ?? options.requestTimeoutMs }, params),
  };
}
