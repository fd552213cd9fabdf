// The write path's input: a page of records as the Nango parser (`nango/parse-records-page.ts`) produces it. Defined
// here, beside the writer that consumes it, so the write path imports nothing from `nango/`.

/** `_nango_metadata` of a record, as `GET /records` returns it (docs/nango-api.md 1.2). Timestamps keep Nango's text. */
export interface RecordMetadata {
  first_seen_at: string;
  /** The sort key and first half of the cursor. Offset-aware; never compare as text. */
  last_modified_at: string;
  /** Derived from the record's current state at read time, not a per-change event. */
  last_action: 'ADDED' | 'UPDATED' | 'DELETED';
  deleted_at: string | null;
  /** Set when Nango emptied the payload; the record then carries only `id`. */
  pruned_at: string | null;
  /** The record's position in the stream; persist the last one processed to resume. */
  cursor: string;
}

/** One record: the sync's payload, its id (always a string) and Nango's metadata. */
export interface NangoRecord {
  id: string;
  _nango_metadata: RecordMetadata;
  [field: string]: unknown;
}

/** An element of `records` that could not be read as a record, kept whole so an operator can replay it. */
export interface RejectedRecord {
  index: number;
  reason: string;
  raw: unknown;
}

/** One page of `GET /records`. */
export interface RecordsPage {
  records: NangoRecord[];
  rejected: RejectedRecord[];
  /** Null on the last page. Never infer the end from a short page. */
  nextCursor: string | null;
  /**
   * The position this page ends at: the cursor of its last element that has one, rejected or not, so a
   * record set aside is not read again. Null for an empty page (keep the previous cursor).
   */
  endCursor: string | null;
  /**
   * The response bytes the page was read from, when it came from Nango: the writer sends the payloads on from them
   * instead of serialising the parsed records again, and overwrites them doing so (`preparePage` consumes them).
   * Whoever changes `records` must drop them.
   */
  body?: Uint8Array;
}
