import type { Logger } from 'pino';
import type { ReplicateProgress } from '../../replicate/replicate-stream.js';
import type { BackfillResumePoint } from './backfill-resume-point.js';

/** What a `backfill-stream` job reports as its BullMQ progress while it runs. */
export interface BackfillStreamProgress {
  /** `reading` pages; `deleting` the rows a replace pass did not see. */
  phase: 'reading' | 'deleting';
  pages: number;
  records: number;
  upserted: number;
  deleted: number;
  /** Records read per second since the pass started. */
  recordsPerSecond: number;
  elapsedMs: number;
  /** Where a job run again continues the pass (see `readResumePoint`); absent before the first committed page. */
  resume?: BackfillResumePoint;
}

/** Reports progress at most once per `minIntervalMs`, one report in flight at a time; `flush` sends the latest. */
export interface ProgressReporter {
  /** The pass's totals after a committed page, and where the pass would continue from there. */
  page(progress: ReplicateProgress, resume?: BackfillResumePoint): void;
  phase(phase: BackfillStreamProgress['phase']): void;
  flush(): Promise<void>;
}

/**
 * Turns the engine's per-page callbacks into BullMQ progress updates without slowing the page loop: updates are
 * throttled and sent in the background. Progress is advisory, so a failed update is logged, not thrown; the
 * next one carries the newer totals anyway.
 */
export function createProgressReporter(
  report: (progress: BackfillStreamProgress) => Promise<void>,
  options: { minIntervalMs: number; logger: Logger },
): ProgressReporter {
  let latest: BackfillStreamProgress = {
    phase: 'reading',
    pages: 0,
    records: 0,
    upserted: 0,
    deleted: 0,
    recordsPerSecond: 0,
    elapsedMs: 0,
  };
  let sentAt = -Infinity;
  let inFlight: Promise<void> | undefined;
  let dirty = false;

  const send = (): Promise<void> => {
    dirty = false;
    sentAt = performance.now();
    const snapshot = latest;
    inFlight = report(snapshot)
      .catch((error: unknown) => options.logger.debug({ err: { message: String(error) } }, 'could not report backfill progress'))
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
  const maybeSend = () => {
    dirty = true;
    if (inFlight === undefined && performance.now() - sentAt >= options.minIntervalMs) void send();
  };

  return {
    page(progress, resume) {
      const { pages, records, upserted, deleted, elapsedMs } = progress;
      const recordsPerSecond = elapsedMs > 0 ? Math.round((records * 1000) / elapsedMs) : 0;
      latest = { ...latest, pages, records, upserted, deleted, elapsedMs, recordsPerSecond, ...(resume === undefined ? {} : { resume }) };
      maybeSend();
    },
    phase(phase) {
      latest = { ...latest, phase };
      maybeSend();
    },
    async flush() {
      await inFlight;
      if (dirty) await send();
    },
  };
}
