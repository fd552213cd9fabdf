import { setImmediate as yieldToIo } from 'node:timers/promises';
import type { RecordsPage } from './records-page.js';
import { canJoinAfter, joinPageWrites } from './join-page-writes.js';
import type { PageRows } from './page-statements.js';
import type { PageWrite } from './page-write.js';
import { planPageWrite, type WritePageParams } from './write-page.js';
import { withDeadline } from '../util/with-deadline.js';

/** How long a write waits for the next page to join it; a page that takes longer starts the next write. */
const JOIN_WAIT_MS = 25;

/**
 * Where planning stands: the cursor the next page write expects, Nango's cursor at the end of the last page
 * taken, the size of that page's text, the read position after each planned page, oldest first (pages commit
 * one by one in the order they were planned, so the oldest planned end is the committed one), and how the next
 * page's rows are written.
 */
export interface PlanState {
  planned: string | null;
  read: string | null;
  pageBytes: number;
  ends: (string | null)[];
  rows: PageRows;
  /** A page asked for while joining that did not arrive in time: the next page to take. */
  ahead: Promise<IteratorResult<RecordsPage>> | null;
}

/** `pending`'s value, or `late` if `ms` pass first. */
function within<T>(pending: Promise<T>, ms: number): Promise<T | 'late'> {
  return withDeadline(pending, ms, () => 'late' as const);
}

/**
 * Takes the next page and plans its write, joining into it the pages after it that arrive within
 * {@link JOIN_WAIT_MS}, while it holds fewer than `join.records` records and less than `join.maxBytes` of page
 * text (see `joinPageWrites`); null at the end. Pages that come slowly (a rate limit, a distant API) each commit
 * on their own, so waiting for Nango never holds back a commit; pages that come faster than Postgres writes them
 * share transactions.
 */
export async function planNextWrite(
  pages: AsyncGenerator<RecordsPage>,
  plan: PlanState,
  params: Omit<WritePageParams, 'page' | 'expectedCursor'>,
  join: { records: number; maxBytes: number; signal: AbortSignal | undefined },
): Promise<PlannedWrite | null> {
  const first = await takePage(pages, plan, null);
  if (first === 'late' || first.done === true) return null;
  let next = await planPage(first.value, plan, params);
  while (!next.last && !join.signal?.aborted && canJoinAfter(next.write)) {
    if (next.write.records >= join.records || next.write.prepared.payloadBytes >= join.maxBytes) break;
    const more = await takePage(pages, plan, JOIN_WAIT_MS);
    if (more === 'late' || more.done === true) break;
    const joined = await planPage(more.value, plan, params);
    next = { write: joinPageWrites(next.write, joined.write), last: joined.last };
  }
  plan.ends.push(plan.read);
  plan.pageBytes = next.write.prepared.payloadBytes;
  return next;
}

export interface PlannedWrite {
  write: PageWrite;
  /** Whether the write holds the last page of the stream. */
  last: boolean;
}

/**
 * The next page, parsed: the one a previous call left waiting, else the iterator's next. With `waitMs`, `late` if it
 * did not come within that time; it is then the page the next call takes.
 */
async function takePage(
  pages: AsyncGenerator<RecordsPage>,
  plan: PlanState,
  waitMs: number | null,
): Promise<IteratorResult<RecordsPage> | 'late'> {
  const pending = plan.ahead ?? pages.next();
  plan.ahead = null;
  if (waitMs === null) return pending;
  const taken = await within(pending, waitMs);
  if (taken === 'late') plan.ahead = pending;
  return taken;
}

/**
 * Plans the write of a page taken from the iterator. The parsed page is only referenced here, so it can be collected
 * as soon as its write is planned, whatever the caller waits for next.
 */
async function planPage(
  page: RecordsPage,
  plan: PlanState,
  params: Omit<WritePageParams, 'page' | 'expectedCursor'>,
): Promise<PlannedWrite> {
  // Let the pages in flight take their next step before preparing this one holds the event loop again
  // (docs/decisions/0008-yield-before-planning.md).
  await yieldToIo();
  const write = planPageWrite({ ...params, page, expectedCursor: plan.planned, rows: plan.rows });
  plan.planned = write.cursor;
  plan.read = page.endCursor ?? plan.read; // an empty page ends where the previous one did
  return { write, last: page.nextCursor === null };
}
