import type { CursorPosition } from './record-cursor.js';
import { compareStreamOrder, type StoredRecord } from './stored-record.js';

/** The WHERE / LIMIT of Nango's getRecords query, applied to rows already in stream order. */
export interface RecordSelection {
  /** Tuple comparison `(updated_at, id) > cursor`: positional, the cursor's row need not exist. */
  after?: CursorPosition | undefined;
  /** `updated_at >= value`, microseconds. */
  modifiedAfterMicros?: number | undefined;
  /** External ids (NUL bytes are stripped before matching). */
  ids?: readonly string[] | undefined;
  predicate: (row: StoredRecord) => boolean;
  /** SQL LIMIT: how many matching rows to return at most. */
  fetchCount: number;
}

/** Up to `fetchCount` rows matching every condition, in stream order. */
export function selectRecords(ordered: readonly StoredRecord[], selection: RecordSelection): StoredRecord[] {
  const ids = selection.ids ? new Set(selection.ids.map((id) => id.replaceAll('\0', ''))) : undefined;
  const result: StoredRecord[] = [];
  for (let i = firstIndexAfter(ordered, selection.after); i < ordered.length && result.length < selection.fetchCount; i++) {
    const row = ordered[i]!;
    if (selection.modifiedAfterMicros !== undefined && row.updatedAt < selection.modifiedAfterMicros) continue;
    if (ids && !ids.has(row.externalId)) continue;
    if (!selection.predicate(row)) continue;
    result.push(row);
  }
  return result;
}

/** Binary search for the first row strictly after the cursor position. */
function firstIndexAfter(ordered: readonly StoredRecord[], after: CursorPosition | undefined): number {
  if (!after) return 0;
  const position = { updatedAt: after.updatedAtMicros, uuid: after.uuid };
  let low = 0;
  let high = ordered.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareStreamOrder(ordered[mid]!, position) <= 0) low = mid + 1;
    else high = mid;
  }
  return low;
}
