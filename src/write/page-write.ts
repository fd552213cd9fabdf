import type { RejectedRecord } from './records-page.js';
import type { PageRows } from './page-statements.js';
import type { PreparedPage } from './prepare-page.js';
import type { StreamKey } from '../stream/stream-key.js';
import type { TableLayout } from '../store/table-layout.js';

/** An element of a page that could not be read, and the cursor before that page. */
export interface DeadLetter extends RejectedRecord {
  pageCursor: string | null;
}

/**
 * A page ready to be written: everything its transaction needs, without the parsed records. Consecutive pages can be
 * joined into one write, which stays one transaction (see `joinPageWrites`).
 */
export interface PageWrite {
  stream: StreamKey;
  streamId: string;
  runId: string;
  layout: TableLayout;
  prepared: PreparedPage;
  /** Elements that could not be read, each with the cursor before its page: re-reading from there returns it. */
  rejected: DeadLetter[];
  /** Pages of the stream the write holds. */
  pages: number;
  /** Elements of the page, valid or not. */
  records: number;
  /** Ids of every valid record of the page: two writes sharing none touch disjoint rows. */
  ids: ReadonlySet<string>;
  expectedCursor: string | null;
  /** The cursor this write stores: the page's end, unless that is behind `expectedCursor` (never moves back). */
  cursor: string | null;
  rows: PageRows;
  /** The write belongs to a `replace` backfill's pass: the ids it read go to `nango_replicator.pass_records`. */
  notesPass: boolean;
}
