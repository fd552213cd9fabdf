/**
 * The run counters, spelled one way everywhere: what a run, a page, a pass or a command wrote. A page's result
 * (`PageResult`), a run's progress and summary, a backfill's resume point and the metrics all carry these fields.
 */
export interface Totals {
  /** Pages committed (small pages joined in one transaction count one each). */
  pages: number;
  /** Records received, rejected ones included. */
  records: number;
  upserted: number;
  deleted: number;
  /** Values set aside as value errors (the row keeps NULL there). */
  valueErrors: number;
  /** Records set aside as dead letters. */
  rejected: number;
  /** NUL characters removed from text values. */
  nulRemoved: number;
}

/** Totals with the time they took, ms. */
export interface TimedTotals extends Totals {
  elapsedMs: number;
}

/** The counters of work that has not written anything yet. */
export const NO_COUNTS: Readonly<Totals> = Object.freeze({
  pages: 0,
  records: 0,
  upserted: 0,
  deleted: 0,
  valueErrors: 0,
  rejected: 0,
  nulRemoved: 0,
});

/** The totals of work that has not read anything yet. */
export const NO_TOTALS: Readonly<TimedTotals> = Object.freeze({ ...NO_COUNTS, elapsedMs: 0 });

/** Totals of two parts of one piece of work (two runs of a pass, or a run and its read again). */
export function addTotals(a: TimedTotals, b: TimedTotals): TimedTotals {
  return { ...addCounts(a, b), elapsedMs: a.elapsedMs + b.elapsedMs };
}

/** The counters of `a` and `b` added up (any other field of theirs is left out). */
export function addCounts(a: Totals, b: Totals): Totals {
  return {
    pages: a.pages + b.pages,
    records: a.records + b.records,
    upserted: a.upserted + b.upserted,
    deleted: a.deleted + b.deleted,
    valueErrors: a.valueErrors + b.valueErrors,
    rejected: a.rejected + b.rejected,
    nulRemoved: a.nulRemoved + b.nulRemoved,
  };
}
