import type { Queue } from 'bullmq';
import { streamFromSchedulerId } from '../../stream/stream-ids.js';

/** A stream's job scheduler as stored in Redis, with what the reconciler compares. */
export interface ExistingScheduler {
  id: string;
  everyMs: number | undefined;
  /** The template data, serialised for comparison. */
  dataJson: string;
  attempts: number | undefined;
  /** When its next job is due (epoch ms); its job id is `repeat:<id>:<next>`. */
  next: number | undefined;
}

/** Schedulers read per Redis round trip. */
const PAGE = 500;

/**
 * Every stream scheduler on the queue (ids made by `streamSchedulerId`; schedulers others put on the queue are
 * left out, and so never removed). Read in pages; schedulers are ordered by next run, which moves while we read,
 * so one may be seen twice (deduplicated here) or missed (the reconciler then upserts it again, harmlessly).
 */
export async function listSyncSchedulers(queue: Queue, signal?: AbortSignal): Promise<Map<string, ExistingScheduler>> {
  const found = new Map<string, ExistingScheduler>();
  for (let start = 0; ; start += PAGE) {
    signal?.throwIfAborted();
    const page = await queue.getJobSchedulers(start, start + PAGE - 1, true);
    for (const scheduler of page) {
      if (streamFromSchedulerId(scheduler.key) === null) continue;
      found.set(scheduler.key, {
        id: scheduler.key,
        everyMs: scheduler.every,
        dataJson: JSON.stringify(scheduler.template?.data ?? null),
        attempts: scheduler.template?.opts?.attempts,
        next: scheduler.next,
      });
    }
    if (page.length < PAGE) return found;
  }
}
