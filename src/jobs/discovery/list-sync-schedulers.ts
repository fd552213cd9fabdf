import type { JobSchedulerJson, Queue } from 'bullmq';
import { streamFromSchedulerId } from '../../stream/stream-ids.js';

/** A stream's job scheduler as stored in Redis, with what the reconciler compares. */
export interface ExistingScheduler {
  id: string;
  everyMs: number | undefined;
  /** Where in the period its ticks fall, ms (BullMQ stores one even when created without: its creation time modulo `every`). */
  offsetMs: number | undefined;
  /** The template data, serialised for comparison. */
  dataJson: string;
  attempts: number | undefined;
  /** When its next job is due (epoch ms); its job id is `repeat:<id>:<next>`. */
  next: number | undefined;
}

/** The stream's scheduler by id (a direct lookup, for one the paged listing may have skipped); undefined: none. */
export async function getSyncScheduler(queue: Queue, id: string): Promise<ExistingScheduler | undefined> {
  const scheduler = await queue.getJobScheduler(id);
  return scheduler === undefined ? undefined : existingScheduler(scheduler);
}

function existingScheduler(scheduler: JobSchedulerJson): ExistingScheduler {
  return {
    id: scheduler.key,
    everyMs: scheduler.every ?? undefined,
    offsetMs: scheduler.offset ?? undefined,
    dataJson: JSON.stringify(scheduler.template?.data ?? null),
    attempts: scheduler.template?.opts?.attempts,
    next: scheduler.next ?? undefined,
  };
}

/** Schedulers read per Redis round trip. */
const PAGE = 500;

/**
 * Every stream scheduler on the queue (ids made by `streamSchedulerId`; schedulers others put on the queue are
 * left out, and so never removed), one page at a time: the caller compares each page and keeps only what it needs,
 * so a pass over 30,000 schedulers never holds them all (docs/performance.md, worker memory). Schedulers are ordered
 * by next run, which moves while we read: one may come twice (the caller skips it), and each that ticks meanwhile
 * shifts the rest down a place, so one may be skipped (the caller looks up by id the desired ones it did not see,
 * `getSyncScheduler`).
 */
export async function* syncSchedulerPages(queue: Queue, signal?: AbortSignal): AsyncGenerator<ExistingScheduler[]> {
  for (let start = 0; ; start += PAGE) {
    signal?.throwIfAborted();
    const page = await queue.getJobSchedulers(start, start + PAGE - 1, true);
    const found: ExistingScheduler[] = [];
    for (const scheduler of page) {
      if (streamFromSchedulerId(scheduler.key) !== null) found.push(existingScheduler(scheduler));
    }
    yield found;
    if (page.length < PAGE) return;
  }
}
