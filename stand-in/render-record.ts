import { formatPgTimestamp } from './pg-timestamp.js';
import { encodeCursor } from './record-cursor.js';
import { lastActionOf, type LastAction, type StoredRecord } from './stored-record.js';

/** `_nango_metadata` exactly as GET /records renders it. */
export interface NangoMetadata {
  first_seen_at: string;
  last_modified_at: string;
  last_action: LastAction;
  deleted_at: string | null;
  pruned_at: string | null;
  cursor: string;
}

/** A record as GET /records returns it: payload fields, then `id` (a string), then metadata. */
export type RenderedRecord = Record<string, unknown> & { id: string; _nango_metadata: NangoMetadata };

/** Metadata of one row, with the cursor built from the rendered `last_modified_at`. */
export function renderMetadata(row: StoredRecord): NangoMetadata {
  const lastModifiedAt = formatPgTimestamp(row.updatedAt);
  return {
    first_seen_at: formatPgTimestamp(row.createdAt),
    last_modified_at: lastModifiedAt,
    last_action: lastActionOf(row),
    deleted_at: row.deletedAt === null ? null : formatPgTimestamp(row.deletedAt),
    pruned_at: row.prunedAt === null ? null : formatPgTimestamp(row.prunedAt),
    cursor: encodeCursor(lastModifiedAt, row.uuid),
  };
}

/** `{...payload, id: external_id, _nango_metadata}`; a pruned row has an empty payload. */
export function renderRecord(row: StoredRecord): RenderedRecord {
  return { ...row.payload, id: row.externalId, _nango_metadata: renderMetadata(row) };
}
