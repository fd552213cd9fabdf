import { setImmediate as yieldToIo } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { ReplicatorError } from '../errors/replicator-error.js';
import type { NangoClient } from '../nango/nango-client.js';
import type { RecordsPage } from '../nango/nango-record.js';
import type { ModelField } from '../schema/model-fields.js';
import { ensureModelTable } from '../store/ensure-model-table.js';
import { ensureStream } from '../store/ensure-stream.js';
import { canJoinAfter, joinPageWrites } from '../store/join-page-writes.js';
import { finishRun, type RunKind, startRun } from '../store/record-run.js';
import type { PageRows } from '../store/page-statements.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import type { StreamKey } from '../store/stream-key.js';
import type { PageWrite } from '../store/page-write.js';
import { type PageResult, planPageWrite, type WritePageParams } from '../store/write-page.js';
import { PageWritePipeline } from './page-write-pipeline.js';
import { resolveModelFields } from './resolve-model-fields.js';

/**
 * Pages written at once: while one page's transaction waits for its commit (or Postgres works on it), the next
 * pages' rows are written on other connections; cursors still commit in order. Three small pages hide the per-page
 * round trips best; the byte bound keeps big pages (10,000 records of 1 KB are about 9 MB) to two.
 */
const WRITE_LIMITS = { depth: 3, maxBytes: 24 * 2 ** 20 };
/**
 * Records a write takes before it stops joining the pages after it into its transaction (see `joinPageWrites`):
 * pages of 1000 go five to a transaction, pages of 5000 or more one each.
 */
export const RECORDS_PER_TRANSACTION = 5000;
/** How long a write waits for the next page to join it; a page that takes longer starts the next write. */
const JOIN_WAIT_MS = 25;
/** Page text a write takes before it stops joining pages: a third of what the pipeline holds in flight. */
const JOIN_MAX_BYTES = WRITE_LIMITS.maxBytes / WRITE_LIMITS.depth;

export interface ReplicateDeps {
  db: Kysely<ReplicatorDatabase>;
  nango: NangoClient;
  /** Should already carry the stream's integration, connection and model. */
  logger: Logger;
}

export interface ReplicateOptions {
  stream: StreamKey;
  /** Postgres schema of the model tables. */
  schema: string;
  deletes: 'soft' | 'hard';
  /** Fillfactor the model table is created with, or altered to when it differs (10..100; 100: Postgres' default). */
  fillfactor: number;
  /** Records per request, 1..10000. */
  pageSize: number;
  /** Read from the beginning instead of the stored cursor. Rows are upserted; the cursor never moves back. */
  full?: boolean;
  /**
   * With `full`: a full pass continued after this Nango cursor (a `position` an earlier run of the pass reported)
   * instead of from the beginning. Default: the beginning.
   */
  fullFrom?: string | null;
  /** Only records modified at or after this instant (Nango's `modified_after`, sent in UTC `Z` form). */
  modifiedAfter?: Date;
  /** What the run is recorded as. Default `full` with `full`, else `sync`. */
  kind?: RunKind;
  /** The model's fields if the caller already knows them; otherwise they are looked up in /scripts/config. */
  fields?: ReadonlyArray<ModelField> | null;
  /** Stop after this many pages (a bounded slice); the rest is read by the next run. Default: no limit. */
  maxPages?: number;
  /** Stops between pages; the page in flight still commits or rolls back as a whole. */
  signal?: AbortSignal;
  /**
   * Records a transaction takes before it stops joining the pages after it (see `joinPageWrites`). Default 5000
   * (`RECORDS_PER_TRANSACTION`); tests set it small, 1 writes every page in its own.
   */
  recordsPerTransaction?: number;
  /**
   * Records written per statement of a page's transaction. Default 1000 (`ROWS_PER_STATEMENT`, store/prepare-page.ts);
   * tests set it small.
   */
  rowsPerStatement?: number;
  /**
   * Called after every commit (a page, or small pages that shared a transaction), with the totals and where the
   * reading stands: Nango's cursor at the end of the last page committed (the start position until a page with
   * records has committed). For a `full` pass it can be behind
   * the stored cursor, which never moves back; a pass continued from it (`fullFrom`) reads exactly what had not
   * committed.
   */
  onProgress?: (progress: ReplicateProgress, position: string | null) => void;
}

/** Totals of a run so far. */
export interface ReplicateProgress {
  pages: number;
  records: number;
  upserted: number;
  deleted: number;
  valueErrors: number;
  rejected: number;
  nulRemoved: number;
  elapsedMs: number;
}

type Totals = Omit<ReplicateProgress, 'elapsedMs'>;

export interface ReplicateSummary extends ReplicateProgress {
  /** True when the stream was read to its end (`next_cursor` null); false when stopped or sliced. */
  complete: boolean;
  cursor: string | null;
}

/**
 * Reads one stream from its stored cursor (or from the start) to the end and writes every page in a transaction
 * together with the cursor (small pages share one, see `joinPageWrites`). The loop only sequences: fetching,
 * mapping and writing live in `nango/` and `store/`.
 */
export async function replicateStream(deps: ReplicateDeps, options: ReplicateOptions): Promise<ReplicateSummary> {
  const { stream, signal } = options;
  const started = performance.now();
  const state = await ensureStream(deps.db, stream);
  const fields = options.fields !== undefined ? options.fields : await resolveModelFields(deps.nango, stream, signal);
  const layout = await ensureModelTable(deps, { schema: options.schema, model: stream.model, fields, fillfactor: options.fillfactor });
  const kind: RunKind = options.kind ?? (options.full ? 'full' : 'sync');
  const runId = await startRun(deps.db, state.id, kind);
  deps.logger.info({ runId, kind, cursor: state.cursor, table: `${layout.schema}.${layout.table}` }, 'run started');

  const totals = { pages: 0, records: 0, upserted: 0, deleted: 0, valueErrors: 0, rejected: 0, nulRemoved: 0 };
  let cursor = state.cursor;
  let complete = false;
  const from = options.full ? (options.fullFrom ?? null) : cursor;
  // While a stream's first read is in progress, what lies past its cursor is not stored yet: pages are written as
  // new (a plain INSERT, cheaper than an upsert) until one meets a stored record, e.g. a record Nango returned twice,
  // and all later ones are upserts. A full pass re-reads what is stored.
  const rows: PageRows = state.readToEnd || (options.full === true && state.cursor !== null) ? 'any' : 'new';
  const plan: PlanState = { planned: cursor, read: from, pageBytes: 0, ends: [], rows, ahead: null };
  let position = from;
  const pipeline = new PageWritePipeline(deps.db, {
    ...WRITE_LIMITS,
    onCommit: (result, last) => {
      cursor = result.cursor;
      position = plan.ends.shift() ?? position;
      plan.rows = result.rows === 'any' ? 'any' : plan.rows;
      add(totals, result);
      if (last) complete = true;
      deps.logger.debug({ page: totals.pages, records: result.records, upserted: result.upserted }, 'page committed');
      options.onProgress?.({ ...totals, elapsedMs: performance.now() - started }, position);
    },
  });
  try {
    const pages = deps.nango.listRecords({
      ...stream,
      cursor: from,
      modifiedAfter: options.modifiedAfter,
      limit: options.pageSize,
      maxPages: options.maxPages,
      signal,
    });
    try {
      const params = { stream, streamId: state.id, runId, layout, deletes: options.deletes, rowsPerStatement: options.rowsPerStatement };
      const join = { records: options.recordsPerTransaction ?? RECORDS_PER_TRANSACTION, signal };
      for (let taken = 0; options.maxPages === undefined || taken < options.maxPages; ) {
        // The next page is taken (parsed) only once it can be written: until then it stays bytes in the iterator.
        await pipeline.whenRoom(plan.pageBytes);
        const next = await planNextWrite(pages, plan, params, join);
        if (next === null) break;
        taken += next.write.pages;
        await pipeline.submit(next.write, next.last);
        if (next.last || signal?.aborted) break;
      }
    } finally {
      await pages.return(undefined);
    }
    await pipeline.drain();
  } catch (error) {
    // Pages already in flight commit or roll back as a whole; the earliest failure in stream order is reported.
    const writeFailure: unknown = await pipeline.drain().then(() => undefined, (failure: unknown) => failure);
    const failure = writeFailure ?? error;
    if (signal?.aborted && writeFailure === undefined) return stopped(deps, { runId, streamId: state.id, totals, cursor, started });
    const summary = errorSummary(failure);
    deps.logger.error({ runId, err: summary, ...totals }, 'run failed');
    // The run's own failure is what the caller must see (and may retry): a lost connection often fails this too.
    // A run left `running` is closed as abandoned by the next one that takes the stream's lock, or by the sweep.
    await finishRun(deps.db, { runId, streamId: state.id, error: summary }).catch((recordError: unknown) =>
      deps.logger.warn({ runId, err: errorSummary(recordError) }, 'could not record the run as failed'),
    );
    throw failure;
  }
  await finishRun(deps.db, { runId, streamId: state.id, readToEnd: complete });
  const summary = { ...totals, complete, cursor, elapsedMs: performance.now() - started };
  deps.logger.info({ runId, ...summary }, complete ? 'run finished' : 'run stopped before the end');
  return summary;
}

/**
 * Where planning stands: the cursor the next page write expects, Nango's cursor at the end of the last page
 * taken, the size of that page's text, the read position after each planned page, oldest first (pages commit
 * one by one in the order they were planned, so the oldest planned end is the committed one), and how the next
 * page's rows are written.
 */
interface PlanState {
  planned: string | null;
  read: string | null;
  pageBytes: number;
  ends: (string | null)[];
  rows: PageRows;
  /** A page asked for while joining that did not arrive in time: the next page to take. */
  ahead: Promise<IteratorResult<RecordsPage>> | null;
}

/** `pending`'s value, or `late` if `ms` pass first. */
async function within<T>(pending: Promise<T>, ms: number): Promise<T | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(resolve, ms, 'late')));
  try {
    return await Promise.race([pending, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Takes the next page and plans its write, joining into it the pages after it that arrive within
 * {@link JOIN_WAIT_MS}, while it holds fewer than `join.records` records and less than {@link JOIN_MAX_BYTES} of page
 * text (see `joinPageWrites`); null at the end. Pages that come slowly (a rate limit, a distant API) each commit
 * on their own, so waiting for Nango never holds back a commit; pages that come faster than Postgres writes them
 * share transactions.
 */
async function planNextWrite(
  pages: AsyncGenerator<RecordsPage>,
  plan: PlanState,
  params: Omit<WritePageParams, 'page' | 'expectedCursor'>,
  join: { records: number; signal: AbortSignal | undefined },
): Promise<PlannedWrite | null> {
  const first = await takePage(pages, plan, null);
  if (first === 'late' || first.done === true) return null;
  let next = await planPage(first.value, plan, params);
  while (!next.last && !join.signal?.aborted && canJoinAfter(next.write)) {
    if (next.write.records >= join.records || next.write.prepared.payloadBytes >= JOIN_MAX_BYTES) break;
    const more = await takePage(pages, plan, JOIN_WAIT_MS);
    if (more === 'late' || more.done === true) break;
    const joined = await planPage(more.value, plan, params);
    next = { write: joinPageWrites(next.write, joined.write), last: joined.last };
  }
  plan.ends.push(plan.read);
  plan.pageBytes = next.write.prepared.payloadBytes;
  return next;
}

interface PlannedWrite {
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
  // Parsing took the event loop for a while (20-30 ms for 1000 records); let the pages in flight take their next
  // step (a lock granted, a commit acknowledged) before preparing this one takes it again: each of their steps waits
  // for a turn of the event loop. Measured at page 1000: 2-4% faster in four pairs, nothing lost at 10000.
  await yieldToIo();
  const write = planPageWrite({ ...params, page, expectedCursor: plan.planned, rows: plan.rows });
  plan.planned = write.cursor;
  plan.read = page.endCursor ?? plan.read; // an empty page ends where the previous one did
  return { write, last: page.nextCursor === null };
}

/** Asked to stop while a request was in flight: what committed stays committed; the run ends cleanly. */
async function stopped(
  deps: ReplicateDeps,
  run: { runId: string; streamId: string; totals: Totals; cursor: string | null; started: number },
): Promise<ReplicateSummary> {
  await finishRun(deps.db, { runId: run.runId, streamId: run.streamId });
  deps.logger.info({ runId: run.runId, ...run.totals }, 'run stopped on request');
  return { ...run.totals, complete: false, cursor: run.cursor, elapsedMs: performance.now() - run.started };
}

function add(totals: Totals, page: PageResult): void {
  totals.pages += page.pages;
  totals.records += page.records;
  totals.upserted += page.upserted;
  totals.deleted += page.deleted;
  totals.valueErrors += page.valueErrors;
  totals.rejected += page.rejected;
  totals.nulRemoved += page.nulRemoved;
}

/** What is stored and logged about a failure: code and message only, so no secret or stack escapes. */
export function errorSummary(error: unknown): Record<string, unknown> {
  if (error instanceof ReplicatorError) return error.toJSON();
  if (error instanceof Error) return { code: 'unexpected', message: error.message };
  return { code: 'unexpected', message: String(error) };
}
