/** A JSON object as saved by a sync function. */
export type Payload = Record<string, unknown>;

/** `_nango_metadata.last_action`, derived from the current state at read time. */
export type LastAction = 'ADDED' | 'UPDATED' | 'DELETED';

/**
 * One row of Nango's records table. Times are integer microseconds since the epoch.
 * Mutated in place by {@link ModelRecords}; never handed out to callers.
 */
export interface StoredRecord {
  /** Internal record uuid (docs/nango-api.md 1.3): the tie-breaker of the stream order. */
  uuid: string;
  /** `String(payload.id)` without NUL bytes; what `/records` returns as `id`. */
  externalId: string;
  payload: Payload;
  hash: string;
  createdAt: number;
  updatedAt: number;
  deletedAt: number | null;
  prunedAt: number | null;
  /**
   * The row as GET /records last rendered it, with the state it was rendered from (see `renderRecordJson`): used
   * only while that state is still the row's, so no write needs to know about it.
   */
  rendered?: RenderedState;
}

/** What a write did, by external id (mirrors Nango's upsert summary). */
export interface WriteSummary {
  added: string[];
  updated: string[];
  deleted: string[];
  unchanged: string[];
}

/** `deleted_at` set → DELETED; otherwise `created_at = updated_at` → ADDED; otherwise UPDATED. */
export function lastActionOf(row: StoredRecord): LastAction {
  if (row.deletedAt !== null) return 'DELETED';
  return row.createdAt === row.updatedAt ? 'ADDED' : 'UPDATED';
}

/** Stream order: `updated_at ASC, id ASC` (uuid compared as lowercase text, as Postgres does). */
export function compareStreamOrder(a: { updatedAt: number; uuid: string }, b: { updatedAt: number; uuid: string }): number {
  if (a.updatedAt !== b.updatedAt) return a.updatedAt - b.updatedAt;
  return a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0;
}

/** What a rendering of a row depends on (writes replace `payload`, never change it in place), and the JSON as UTF-8. */
export interface RenderedState {
  payload: StoredRecord['payload'];
  createdAt: number;
  updatedAt: number;
  deletedAt: number | null;
  prunedAt: number | null;
  json: Buffer;
}
