import type { ReplicateProgress } from './replicate-stream.js';

/** Totals of two parts of one piece of work (two runs of a pass, or a run and its read again). */
export function addTotals(a: ReplicateProgress, b: ReplicateProgress): ReplicateProgress {
  return {
    pages: a.pages + b.pages,
    records: a.records + b.records,
    upserted: a.upserted + b.upserted,
    deleted: a.deleted + b.deleted,
    valueErrors: a.valueErrors + b.valueErrors,
    rejected: a.rejected + b.rejected,
    nulRemoved: a.nulRemoved + b.nulRemoved,
    elapsedMs: a.elapsedMs + b.elapsedMs,
  };
}

/** The totals of work that has not read anything yet. */
export const NO_TOTALS: Readonly<ReplicateProgress> = Object.freeze({
  pages: 0, records: 0, upserted: 0, deleted: 0, valueErrors: 0, rejected: 0, nulRemoved: 0, elapsedMs: 0,
});
