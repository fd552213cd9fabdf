import { z } from 'zod';

const count = z.number().int().min(0);

/**
 * How far a backfill pass has committed, kept in its `backfill-stream` job's progress (`progress.resume`) so the
 * job, run again after a shutdown, a lost lock or a transient failure, goes on after the last committed page
 * instead of reading the stream from the beginning. Read back from Redis, so parsed like any job data.
 */
export const backfillResumePointSchema = z.object({
  /** When the pass began, on the database clock (ISO 8601). A replace pass deletes the rows not written since. */
  passStartedAt: z.iso.datetime({ offset: true }),
  /** Nango's cursor at the end of the last committed page: the pass continues after it. */
  cursor: z.string().min(1),
  /** The pass's totals up to that page, over every attempt so far; `elapsedMs` is time spent reading, ms. */
  totals: z.object({
    pages: count,
    records: count,
    upserted: count,
    deleted: count,
    valueErrors: count,
    rejected: count,
    nulRemoved: count,
    elapsedMs: z.number().min(0),
  }),
});

export type BackfillResumePoint = z.output<typeof backfillResumePointSchema>;

/**
 * The resume point stored in a job's progress, or null when there is none (a first attempt) or it does not parse
 * (written by another version): the pass then starts from the beginning, which is always correct, only slower.
 */
export function readResumePoint(progress: unknown): BackfillResumePoint | null {
  if (progress === null || typeof progress !== 'object' || !('resume' in progress)) return null;
  const result = backfillResumePointSchema.safeParse(progress.resume);
  return result.success ? result.data : null;
}
