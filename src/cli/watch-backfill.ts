import type { Job, Queue } from 'bullmq';
import type { BackfillStreamProgress } from '../jobs/backfill/backfill-progress.js';
import type { BackfillJobProgress } from '../jobs/backfill/process-backfill-job.js';
import { abortableSleep } from '../util/abortable-sleep.js';
import { createRateMeter } from './create-rate-meter.js';

/** Where a watched backfill stands. */
export interface BackfillView {
  /** BullMQ state of the `backfill` job: `waiting` (no worker took it yet), `waiting-children` (streams running)... */
  state: string;
  /** Streams it covers; null until a worker has listed them. */
  streams: number | null;
  /** Streams finished, and failed for good. */
  done: number;
  failed: number;
  /** Streams being read right now. */
  running: number;
  pages: number;
  records: number;
  /**
   * Records per second over the last few seconds of watching (finished and running streams together); null until
   * the watch has looked twice.
   */
  recordsPerSecond: number | null;
}

/** How the watch ended: the job as stored when it completed or failed. */
export interface WatchedBackfill {
  state: 'completed' | 'failed';
  job: Job;
}

/** Running children looked at per poll; more than any fleet runs at once. */
const MAX_ACTIVE = 1000;
/** The rate shown is the records read over this much time, ms. */
const RATE_WINDOW_MS = 5000;

/**
 * Polls a `backfill` job every `intervalMs` until it completes or fails, calling `onView` with its progress: the
 * totals of its finished streams (their return values) plus the progress its running streams report. Reads Redis
 * only; resolves null if `signal` aborts first (the backfill itself goes on).
 */
export async function watchBackfill(
  queue: Queue,
  jobId: string,
  options: { intervalMs: number; signal: AbortSignal; onView: (view: BackfillView) => void },
): Promise<WatchedBackfill | null> {
  const rate = createRateMeter(RATE_WINDOW_MS);
  for (;;) {
    if (options.signal.aborted) return null;
    const job = await queue.getJob(jobId);
    if (job === undefined) throw new Error(`backfill job ${jobId} no longer exists (removed from the queue?)`);
    const state = await job.getState();
    // Read again when final: the job read above may predate its move to that state.
    if (state === 'completed' || state === 'failed') return { state, job: (await queue.getJob(jobId)) ?? job };
    const view = await viewOf(queue, job, state);
    options.onView({ ...view, recordsPerSecond: rate(view.records, performance.now()) });
    try {
      await abortableSleep(options.intervalMs, options.signal);
    } catch {
      return null; // aborted while sleeping: stop watching
    }
  }
}

async function viewOf(queue: Queue, job: Job, state: string): Promise<BackfillView> {
  const view: BackfillView = { state, streams: null, done: 0, failed: 0, running: 0, pages: 0, records: 0, recordsPerSecond: null };
  const progress = job.progress as BackfillJobProgress | number | undefined;
  if (typeof progress !== 'object' || progress === null) return view;
  view.streams = progress.streams;
  const dependencies = await job.getDependencies();
  for (const value of Object.values(dependencies.processed ?? {})) {
    const report = (typeof value === 'string' ? safeJson(value) : value) as { pages?: unknown; records?: unknown } | null;
    view.done += 1;
    view.pages += typeof report?.pages === 'number' ? report.pages : 0;
    view.records += typeof report?.records === 'number' ? report.records : 0;
  }
  view.failed = Object.keys(dependencies.ignored ?? {}).length + (dependencies.failed?.length ?? 0);
  const parentKey = `${queue.qualifiedName}:${job.id}`;
  for (const child of await queue.getActive(0, MAX_ACTIVE - 1)) {
    if (child.parentKey !== parentKey) continue;
    const p = child.progress as Partial<BackfillStreamProgress> | number | undefined;
    view.running += 1;
    if (typeof p !== 'object' || p === null) continue;
    view.pages += p.pages ?? 0;
    view.records += p.records ?? 0;
  }
  return view;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null; // not a report of ours: counted as done without figures
  }
}
