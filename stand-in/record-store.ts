import { createMicroClock } from './micro-clock.js';
import { ModelRecords } from './model-records.js';
import { formatPgTimestamp } from './pg-timestamp.js';
import type { ConnectionError, ConnectionInput, EndUserInput, StoredConnection } from './public-connection.js';
import type { CursorPosition } from './record-cursor.js';
import { renderMetadata } from './render-record.js';
import type { DeployedSync, DeploySyncInput } from './scripts-config.js';
import { SyncJobs } from './sync-jobs.js';
import { SyncVariants } from './sync-variants.js';
import { lastActionOf, type LastAction, type Payload, type StoredRecord, type WriteSummary } from './stored-record.js';

/** Options of {@link RecordStore}. */
export interface RecordStoreOptions {
  /** Millisecond clock behind every timestamp (a monotonic microsecond clock is derived). Default Date.now. */
  now?: () => number;
}

/** One row as a test sees it; times rendered as the API renders them. Ordered by stream position. */
export interface RecordSnapshot {
  id: string;
  payload: Payload;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
  prunedAt: string | null;
  lastAction: LastAction;
  /** The record's `_nango_metadata.cursor`. */
  cursor: string;
}

/**
 * The stand-in's data: connections, deployed syncs and the records cache. Mutable at any time,
 * including while a client pages. Each write method is one Nango write transaction: every row it
 * changes gets the same `updated_at`, strictly later than any earlier stamp.
 */
export class RecordStore {
  readonly #stamp: () => number;
  readonly #now: () => number;
  readonly #connections = new Map<string, StoredConnection>();
  readonly #records = new Map<string, ModelRecords>();
  readonly #syncs: DeployedSync[] = [];
  /** Sync jobs and schedules, for `GET /sync/status` (set by tests). */
  readonly syncJobs = new SyncJobs();
  /**
   * Sync variants per connection (`POST`/`DELETE /sync/{name}/variant/{variant}`, or a test directly). A variant's
   * records are written like the base's under the model name `Model::variant` (`save(key, conn, 'Item::v1', ...)`)
   * and its jobs are `syncJobs` of the sync name `name::variant`.
   */
  readonly syncVariants = new SyncVariants();
  #nextConnectionPk = 1;
  #nextSyncId = 1;

  constructor(options: RecordStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#stamp = createMicroClock(this.#now);
  }

  /** Adds a connection; throws when (providerConfigKey, connectionId) already exists. */
  addConnection(input: ConnectionInput): StoredConnection {
    const key = connectionKey(input.providerConfigKey, input.connectionId);
    if (this.#connections.has(key)) throw new Error(`Connection ${input.connectionId} already exists for ${input.providerConfigKey}`);
    const provider = input.provider ?? this.#providerOf(input.providerConfigKey) ?? input.providerConfigKey;
    const connection: StoredConnection = {
      pk: this.#nextConnectionPk++,
      providerConfigKey: input.providerConfigKey,
      connectionId: input.connectionId,
      provider,
      tags: Object.fromEntries(Object.entries(input.tags ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
      metadata: input.metadata ?? null,
      endUser: input.endUser ?? null,
      errors: input.errors ?? [],
      createdAt: this.#stamp(),
    };
    this.#connections.set(key, connection);
    return connection;
  }

  /** Deletes a connection and its records; /records then answers 400 unknown_connection. */
  removeConnection(providerConfigKey: string, connectionId: string): boolean {
    const connection = this.findConnection(providerConfigKey, connectionId);
    if (!connection) return false;
    this.#connections.delete(connectionKey(providerConfigKey, connectionId));
    this.syncVariants.forgetConnection(providerConfigKey, connectionId);
    for (const key of [...this.#records.keys()]) {
      if (key.startsWith(`${connection.pk}\u0000`)) this.#records.delete(key);
    }
    return true;
  }

  /**
   * Changes what Nango holds about a connection besides metadata (tags and end user change through Connect sessions,
   * errors through failed refreshes and syncs). Tag keys are lowercased as Nango does. Throws for an unknown one.
   */
  updateConnection(
    providerConfigKey: string,
    connectionId: string,
    changes: { tags?: Record<string, string>; endUser?: EndUserInput | null; errors?: ConnectionError[] },
  ): void {
    const connection = this.findConnection(providerConfigKey, connectionId);
    if (!connection) throw new Error(`No connection ${connectionId} for ${providerConfigKey}`);
    if (changes.tags !== undefined) {
      connection.tags = Object.fromEntries(Object.entries(changes.tags).map(([k, v]) => [k.toLowerCase(), v]));
    }
    if (changes.endUser !== undefined) connection.endUser = changes.endUser;
    if (changes.errors !== undefined) connection.errors = changes.errors;
  }

  /**
   * `POST /connections/metadata` (`replace`) or `PATCH` (`merge`, shallow), docs/nango-api.md 3.3 and REFERENCE 3.3:
   * all or nothing; returns the first connection id that does not exist (nothing changed then), or null. An empty
   * metadata object is stored as null, as Nango lists it.
   */
  setConnectionMetadata(
    providerConfigKey: string,
    connectionIds: readonly string[],
    metadata: Record<string, unknown>,
    mode: 'replace' | 'merge',
  ): string | null {
    const connections = connectionIds.map((id) => ({ id, connection: this.findConnection(providerConfigKey, id) }));
    const unknown = connections.find((c) => c.connection === undefined);
    if (unknown) return unknown.id;
    for (const { connection } of connections) {
      if (!connection) continue;
      const next = mode === 'replace' ? structuredClone(metadata) : { ...connection.metadata, ...structuredClone(metadata) };
      connection.metadata = Object.keys(next).length === 0 ? null : next;
    }
    return null;
  }

  findConnection(providerConfigKey: string, connectionId: string): StoredConnection | undefined {
    return this.#connections.get(connectionKey(providerConfigKey, connectionId));
  }

  /** Every connection, in insertion order. */
  listConnections(): readonly StoredConnection[] {
    return [...this.#connections.values()];
  }

  /** Deploys (or redeploys, replacing) a sync; feeds GET /scripts/config. */
  deploySync(input: DeploySyncInput): DeployedSync {
    const existing = this.#syncs.findIndex((s) => s.providerConfigKey === input.providerConfigKey && s.name === input.name);
    const sync: DeployedSync = {
      id: this.#nextSyncId++,
      providerConfigKey: input.providerConfigKey,
      provider: input.provider ?? this.#providerOf(input.providerConfigKey) ?? input.providerConfigKey,
      name: input.name,
      models: structuredClone(input.models),
      runs: input.runs ?? 'every day',
      syncType: input.syncType ?? 'full',
      trackDeletes: input.trackDeletes ?? false,
      autoStart: input.autoStart ?? true,
      version: input.version === undefined ? '1.0.0' : input.version,
      deployedAtMs: this.#now(),
    };
    if (existing >= 0) this.#syncs.splice(existing, 1, sync);
    else this.#syncs.push(sync);
    return sync;
  }

  listSyncs(): readonly DeployedSync[] {
    return [...this.#syncs];
  }

  /** `batchSave` (docs/nango-api.md 1.5). Throws for an unknown connection or a payload without id. */
  save(providerConfigKey: string, connectionId: string, model: string, payloads: readonly object[]): WriteSummary {
    return this.#model(providerConfigKey, connectionId, model, true).save(payloads, this.#stamp());
  }

  /** `batchUpdate`: deep-merge partial payloads into existing records. */
  update(providerConfigKey: string, connectionId: string, model: string, partials: readonly object[]): WriteSummary {
    return this.#model(providerConfigKey, connectionId, model, true).update(partials, this.#stamp());
  }

  /** `batchDelete`: soft delete; the stored payload becomes what is passed here (often just `{id}`). */
  delete(providerConfigKey: string, connectionId: string, model: string, payloads: readonly object[]): WriteSummary {
    return this.#model(providerConfigKey, connectionId, model, true).delete(payloads, this.#stamp());
  }

  /** Empties payloads (all, or the given ids) and sets pruned_at; positions do not move. */
  prune(providerConfigKey: string, connectionId: string, model: string, ids?: readonly string[]): number {
    return this.#model(providerConfigKey, connectionId, model, true).prune(ids, this.#stamp());
  }

  /**
   * `PATCH /records/prune`: empties the payloads of up to `limit` records not pruned yet at or before `until`, oldest
   * first, and sets their pruned_at; positions do not move. Returns how many it pruned. `model` is the stored name
   * (`Model::variant` for a variant).
   */
  pruneUntil(providerConfigKey: string, connectionId: string, model: string, until: CursorPosition, limit: number): number {
    return this.#model(providerConfigKey, connectionId, model, false)?.pruneUntil(until, limit, this.#stamp()) ?? 0;
  }

  /** Removes records (all, or the given ids) without tombstones. */
  hardDelete(providerConfigKey: string, connectionId: string, model: string, ids?: readonly string[]): number {
    return this.#model(providerConfigKey, connectionId, model, true).hardDelete(ids);
  }

  /** Rows of a (connection, model) in stream order; empty for an unknown model. */
  orderedRecords(connection: StoredConnection, model: string): readonly StoredRecord[] {
    return this.#records.get(modelKey(connection.pk, model))?.ordered() ?? [];
  }

  /** The current state of a (connection, model), for assertions. */
  snapshot(providerConfigKey: string, connectionId: string, model: string): RecordSnapshot[] {
    const records = this.#model(providerConfigKey, connectionId, model, false);
    return (records?.ordered() ?? []).map((row) => ({
      id: row.externalId,
      payload: structuredClone(row.payload),
      createdAt: formatPgTimestamp(row.createdAt),
      updatedAt: formatPgTimestamp(row.updatedAt),
      deletedAt: row.deletedAt === null ? null : formatPgTimestamp(row.deletedAt),
      prunedAt: row.prunedAt === null ? null : formatPgTimestamp(row.prunedAt),
      lastAction: lastActionOf(row),
      cursor: renderMetadata(row).cursor,
    }));
  }

  #model(providerConfigKey: string, connectionId: string, model: string, create: true): ModelRecords;
  #model(providerConfigKey: string, connectionId: string, model: string, create: false): ModelRecords | undefined;
  #model(providerConfigKey: string, connectionId: string, model: string, create: boolean): ModelRecords | undefined {
    const connection = this.findConnection(providerConfigKey, connectionId);
    if (!connection) throw new Error(`Unknown connection ${connectionId} for ${providerConfigKey}`);
    const key = modelKey(connection.pk, model);
    let records = this.#records.get(key);
    if (!records && create) {
      records = new ModelRecords(connection.pk, model);
      this.#records.set(key, records);
    }
    return records;
  }

  #providerOf(providerConfigKey: string): string | undefined {
    for (const connection of this.#connections.values()) {
      if (connection.providerConfigKey === providerConfigKey) return connection.provider;
    }
    return this.#syncs.find((s) => s.providerConfigKey === providerConfigKey)?.provider;
  }
}

function connectionKey(providerConfigKey: string, connectionId: string): string {
  return `${providerConfigKey}\u0000${connectionId}`;
}

function modelKey(connectionPk: number, model: string): string {
  return `${connectionPk}\u0000${model}`;
}
