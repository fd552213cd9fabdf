import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { StreamKey } from '../stream/stream-key.js';
import { streamLockName } from '../stream/stream-ids.js';

/**
 * Per-stream "pull requested" marks in Redis: a sync job that finds its stream busy leaves one for the holder,
 * which serves it after its run (see `withStreamLock`). One key per stream, so any number of requests during one
 * holding make one mark, and at most one more pull.
 */
export interface StreamPullMarks {
  /** Leaves the stream's mark (or replaces it): `requestedBy` (e.g. `<host>:<pid> job 17`) plus a fresh id. */
  mark(stream: StreamKey, requestedBy: string): Promise<void>;
  /** Removes the stream's mark, if any: called by a holder before it starts reading, which serves it. */
  clear(stream: StreamKey): Promise<void>;
  /** Removes the mark and returns its value, or null when there was none. Atomic (GETDEL): one taker per mark. */
  take(stream: StreamKey): Promise<string | null>;
}

export interface StreamPullMarksOptions {
  /** Prefix of the mark keys, e.g. `nango-replicator:pull-requested:` (see {@link pullMarkKeyPrefix}). */
  keyPrefix: string;
  /**
   * Expiry of a mark nobody serves (its stream is no longer followed), ms. Longer than any holding (a backfill
   * can hold a stream for hours), since a mark that expires while its stream is held waits for the schedule.
   */
  ttlMs: number;
}

/** The expiry of a pull mark: a day, ms. */
export const PULL_MARK_TTL_MS = 24 * 3600 * 1000;

/**
 * The prefix of the pull mark keys under the fleet's Redis key prefix (`redis.keyPrefix`, e.g. `nango-replicator:`):
 * `<redisKeyPrefix>pull-requested:`. Every process that leaves or serves marks (workers, `sync` with `REDIS_URL`)
 * must use it, or their marks would not meet.
 */
export function pullMarkKeyPrefix(redisKeyPrefix: string): string {
  return `${redisKeyPrefix}pull-requested:`;
}

/** The stream's marks as keys `<keyPrefix>stream/<integration>/<connection>/<model>` (parts percent-encoded). */
export function createStreamPullMarks(deps: { redis: Redis }, options: StreamPullMarksOptions): StreamPullMarks {
  const keyOf = (stream: StreamKey) => `${options.keyPrefix}${streamLockName(stream)}`;
  return {
    mark: async (stream, requestedBy) => void (await deps.redis.set(keyOf(stream), `${requestedBy} ${randomUUID()}`, 'PX', options.ttlMs)),
    clear: async (stream) => void (await deps.redis.del(keyOf(stream))),
    take: (stream) => deps.redis.getdel(keyOf(stream)),
  };
}
