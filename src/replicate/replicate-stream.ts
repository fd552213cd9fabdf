import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { errorSummary } from '../errors/error-summary.js';
import type { NangoClient } from '../nango/nango-client.js';
import { compareCursors } from '../nango/stream-cursor.js';
import type { ModelField } from '../schema/model-fields.js';
import { ensureModelTable } from '../store/ensure-model-table.js';
import { ensureStream } from '../store/ensure-stream.js';
import { finishRun, type RunKind, startRun } from '../store/record-run.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import type { StreamKey } from '../stream/stream-key.js';
import type { PageRows } from '../write/page-statements.js';
import { PageWritePipeline } from '../write/page-write-pipeline.js';
import { addCounts, NO_COUNTS, type TimedTotals, type Totals } from '../write/totals.js';
import { type PlanState, planNextWrite } from '../write/plan-next-write.js';
import type { ModelFieldsLookup } from './model-fields-lookup.js';
import { pruneAfterCommit } from './prune-after-commit.js';

/**
 * Pages written at once, cursors still committed in order; the byte bound keeps big pages to two
 * (docs/decisions/0001-pages-in-flight-commit-order.md).
 */
const WRITE_LIMITS = { depth: 3, maxBytes: 24 * 2 ** 20 };
/**
 * Records a write takes before it stops joining the pages after it into its transaction (see `joinPageWrites`):
 * pages of 1000 go five to a transaction, pages of 5000 or more one each (docs/decisions/0002-page-joining.md).
 */
export const RECORDS_PER_TRANSACTION = 5000;
/** Page text a write takes before it stops joining pages: a third of what the pipeline holds in flight. */
const JOIN_MAX_BYTES = WRITE_LIMITS.maxBytes / WRITE_LIMITS.depth;

export interface ReplicateDeps {
  db: Kysely<ReplicatorDatabase>;
  nango: NangoClient;
  /** Where the model's fields come from when `options.fields` is not given (cached in a worker, direct in a command). */
  modelFields: ModelFieldsLookup;
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
  /** The model's fields if the caller already knows them; otherwise they are looked up with `deps.modelFields`. */
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
  /**
   * The run is a `replace` backfill's pass: the ids it reads are noted (`nango_replicator.pass_records`), so its end
   * deletes only rows it did not see, including rows it saw unchanged and did not write. Default false.
   */
  notesPass?: boolean;
  /** History mode (`target.history`): every version kept in `<table>_history`; once on, a table keeps it. Default false. */
  history?: boolean;
}

/** Totals of a run so far. */
export type ReplicateProgress = TimedTotals;

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
  const fields = options.fields !== undefined ? options.fields : await deps.modelFields(stream, signal);
  const layout = await ensureModelTable(deps, {
    schema: options.schema,
    model: stream.model,
    fields,
    fillfactor: options.fillfactor,
    history: options.history,
  });
  const kind: RunKind = options.kind ?? (options.full ? 'full' : 'sync');
  const runId = await startRun(deps.db, state.id, kind);
  deps.logger.info({ runId, kind, cursor: state.cursor, table: `${layout.schema}.${layout.table}` }, 'run started');

  const totals: Totals = { ...NO_COUNTS };
  let cursor = state.cursor;
  let complete = false;
  const from = options.full ? (options.fullFrom ?? null) : cursor;
  // While a stream's first read is in progress, what lies past its cursor is not stored yet: pages are written as
  // new (a plain INSERT, cheaper than an upsert) until one meets a stored record, e.g. a record Nango returned twice,
  // and all later ones are upserts. A full pass re-reads what is stored.
  const rows: PageRows = state.readToEnd || (options.full === true && state.cursor !== null) ? 'any' : 'new';
  const plan: PlanState = { planned: cursor, read: from, pageBytes: 0, ends: [], rows, ahead: null };
  let position = from;
  const pruner = pruneAfterCommit(deps, stream, signal);
  const pipeline = new PageWritePipeline(deps.db, {
    ...WRITE_LIMITS,
    onCommit: (result, last) => {
      cursor = result.cursor;
      position = plan.ends.shift() ?? position;
      plan.rows = result.rows === 'any' ? 'any' : plan.rows;
      Object.assign(totals, addCounts(totals, result));
      if (last) complete = true;
      pruner.committed(position);
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
      const { deletes, rowsPerStatement, notesPass } = options;
      const params = { stream, streamId: state.id, runId, layout, deletes, rowsPerStatement, notesPass, compareCursors };
      const join = { records: options.recordsPerTransaction ?? RECORDS_PER_TRANSACTION, maxBytes: JOIN_MAX_BYTES, signal };
      for (let taken = 0; options.maxPages === undefined || taken < options.maxPages;) {
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
    await pruner.settle();
  } catch (error) {
    // Pages already in flight commit or roll back as a whole; the earliest failure in stream order is reported.
    const writeFailure: unknown = await pipeline.drain().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    await pruner.settle();
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

/** Asked to stop while a request was in flight: what committed stays committed; the run ends cleanly. */
async function stopped(
  deps: ReplicateDeps,
  run: { runId: string; streamId: string; totals: Totals; cursor: string | null; started: number },
): Promise<ReplicateSummary> {
  await finishRun(deps.db, { runId: run.runId, streamId: run.streamId });
  deps.logger.info({ runId: run.runId, ...run.totals }, 'run stopped on request');
  return { ...run.totals, complete: false, cursor: run.cursor, elapsedMs: performance.now() - run.started };
}
