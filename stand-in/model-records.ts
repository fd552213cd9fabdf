import { deepMerge } from './deep-merge.js';
import type { CursorPosition } from './record-cursor.js';
import { recordNamespace, recordUuid } from './record-uuid.js';
import { stableHash } from './stable-hash.js';
import { compareStreamOrder, type Payload, type StoredRecord, type WriteSummary } from './stored-record.js';

const MAX_EXTERNAL_ID_LENGTH = 255;

/**
 * The records of one (connection, model): the rows of Nango's records table with the semantics
 * of its upsert SQL and triggers (docs/nango-api.md 1.4, 1.5). Each write method is one transaction and
 * receives that transaction's `NOW()` as `stampMicros`.
 */
export class ModelRecords {
  readonly #rows = new Map<string, StoredRecord>();
  #ordered: StoredRecord[] | null = null;
  readonly #namespace: string;

  constructor(
    private readonly connectionPk: number,
    private readonly model: string,
  ) {
    this.#namespace = recordNamespace(connectionPk, model);
  }

  /** `batchSave`: insert, change (bump), undelete (ADDED again) or leave untouched. */
  save(payloads: readonly object[], stampMicros: number): WriteSummary {
    const summary = emptySummary();
    for (const incoming of this.#prepare(payloads)) {
      const row = this.#rows.get(incoming.externalId);
      if (!row) {
        this.#insert(incoming, stampMicros, null);
        summary.added.push(incoming.externalId);
      } else if (row.deletedAt !== null) {
        Object.assign(row, {
          payload: incoming.payload,
          hash: incoming.hash,
          createdAt: stampMicros,
          updatedAt: stampMicros,
          deletedAt: null,
          prunedAt: null,
        });
        summary.added.push(row.externalId);
      } else if (row.hash !== incoming.hash) {
        Object.assign(row, { payload: incoming.payload, hash: incoming.hash, updatedAt: stampMicros, prunedAt: null });
        summary.updated.push(row.externalId);
      } else {
        // Identical payload: no event. A pruned row gets its data back without moving.
        if (row.prunedAt !== null) Object.assign(row, { payload: incoming.payload, prunedAt: null });
        summary.unchanged.push(row.externalId);
      }
    }
    this.#ordered = null;
    return summary;
  }

  /** `batchUpdate`: deep-merge into existing rows (unknown ids are ignored); bump on a hash change. */
  update(partials: readonly object[], stampMicros: number): WriteSummary {
    const summary = emptySummary();
    for (const incoming of this.#prepare(partials)) {
      const row = this.#rows.get(incoming.externalId);
      if (!row) continue;
      const merged = deepMerge(row.payload, incoming.payload) as Payload;
      const hash = stableHash(merged);
      if (hash !== row.hash) {
        Object.assign(row, { payload: merged, hash, updatedAt: stampMicros, prunedAt: null });
        summary.updated.push(row.externalId);
      } else {
        if (row.prunedAt !== null) Object.assign(row, { payload: merged, prunedAt: null });
        summary.unchanged.push(row.externalId);
      }
    }
    this.#ordered = null;
    return summary;
  }

  /**
   * `batchDelete`: soft delete. The stored payload is replaced by what was passed; `deleted_at`
   * is the payload's `deletedAt` when present, else the stamp. Unknown ids become tombstones.
   */
  delete(payloads: readonly object[], stampMicros: number): WriteSummary {
    const summary = emptySummary();
    for (const incoming of this.#prepare(payloads)) {
      const deletedAt = deletedAtOf(incoming.payload) ?? stampMicros;
      const row = this.#rows.get(incoming.externalId);
      if (!row) {
        this.#insert(incoming, stampMicros, deletedAt);
        summary.deleted.push(incoming.externalId);
        continue;
      }
      const changed = row.hash !== incoming.hash || row.deletedAt !== deletedAt || row.prunedAt !== null;
      if (!changed) {
        summary.unchanged.push(row.externalId);
        continue;
      }
      (row.deletedAt === null ? summary.deleted : summary.unchanged).push(row.externalId);
      Object.assign(row, { payload: incoming.payload, hash: incoming.hash, deletedAt, prunedAt: null, updatedAt: stampMicros });
    }
    this.#ordered = null;
    return summary;
  }

  /** Empties payloads and sets `pruned_at`; `updated_at` (so the cursor) does not move. */
  prune(externalIds: readonly string[] | undefined, stampMicros: number): number {
    let count = 0;
    for (const row of this.#select(externalIds)) {
      if (row.prunedAt !== null) continue;
      row.payload = {};
      row.prunedAt = stampMicros;
      count += 1;
    }
    return count;
  }

  /** Prunes (as {@link prune}) up to `limit` unpruned rows at or before `until` in stream order, oldest first. */
  pruneUntil(until: CursorPosition, limit: number, stampMicros: number): number {
    let count = 0;
    for (const row of this.ordered()) {
      if (count >= limit || compareStreamOrder(row, { updatedAt: until.updatedAtMicros, uuid: until.uuid }) > 0) break;
      if (row.prunedAt !== null) continue;
      row.payload = {};
      row.prunedAt = stampMicros;
      count += 1;
    }
    return count;
  }

  /** Removes rows without leaving tombstones (60-day TTL, emptyCache); all rows when ids are omitted. */
  hardDelete(externalIds: readonly string[] | undefined): number {
    const rows = [...this.#select(externalIds)];
    for (const row of rows) this.#rows.delete(row.externalId);
    this.#ordered = null;
    return rows.length;
  }

  /** All rows in stream order (`updated_at`, uuid). The array is cached until the next write. */
  ordered(): readonly StoredRecord[] {
    this.#ordered ??= [...this.#rows.values()].sort(compareStreamOrder);
    return this.#ordered;
  }

  #insert(incoming: PreparedPayload, stampMicros: number, deletedAt: number | null): void {
    const uuid = recordUuid(this.connectionPk, this.model, incoming.rawId, this.#namespace);
    this.#rows.set(incoming.externalId, {
      uuid,
      externalId: incoming.externalId,
      payload: incoming.payload,
      hash: incoming.hash,
      createdAt: stampMicros,
      updatedAt: stampMicros,
      deletedAt,
      prunedAt: null,
    });
  }

  *#select(externalIds: readonly string[] | undefined): Iterable<StoredRecord> {
    if (externalIds === undefined) {
      yield* this.#rows.values();
      return;
    }
    for (const id of new Set(externalIds)) {
      const row = this.#rows.get(id.replaceAll('\0', ''));
      if (row) yield row;
    }
  }

  /** Validates ids, clones payloads as JSON and drops later duplicates of an id (Nango keeps the first). */
  #prepare(payloads: readonly object[]): PreparedPayload[] {
    const seen = new Set<string>();
    const prepared: PreparedPayload[] = [];
    for (const original of payloads) {
      const payload = JSON.parse(JSON.stringify(original)) as Payload;
      const id = (original as { id?: unknown }).id;
      if (!id) throw new Error(`Missing id field in record: ${JSON.stringify(original)}. Model: ${this.model}`);
      const rawId = String(id);
      const externalId = rawId.replaceAll('\0', '');
      if (externalId.length > MAX_EXTERNAL_ID_LENGTH) {
        throw new Error(`Record id longer than ${MAX_EXTERNAL_ID_LENGTH} characters (string_data_right_truncation). Model: ${this.model}`);
      }
      if (seen.has(externalId)) continue;
      seen.add(externalId);
      prepared.push({ rawId, externalId, payload, hash: stableHash(payload) });
    }
    return prepared;
  }
}

interface PreparedPayload {
  rawId: string;
  externalId: string;
  payload: Payload;
  hash: string;
}

function emptySummary(): WriteSummary {
  return { added: [], updated: [], deleted: [], unchanged: [] };
}

function deletedAtOf(payload: Payload): number | undefined {
  const value = payload['deletedAt'];
  if (!value) return undefined;
  const ms = new Date(value as string | number).getTime();
  if (Number.isNaN(ms)) throw new Error(`Invalid deletedAt value: ${JSON.stringify(value)}`);
  return ms * 1000;
}
