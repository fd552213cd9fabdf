import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { RedisLocks } from './redis-locks.js';
import { abandonRuns } from '../store/abandon-runs.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import type { StreamKey } from '../stream/stream-key.js';
import { streamLockName } from '../stream/stream-ids.js';
import type { StreamPullMarks } from './stream-pull-marks.js';

export interface StreamLockDeps {
  db: Kysely<ReplicatorDatabase>;
  locks: RedisLocks;
  /** Should carry the stream and the job. */
  logger: Logger;
  /**
   * The fleet's pull marks. With them, a holder clears its stream's mark before `work` and takes it after, and the
   * caller must see that a read of the stream starts after a mark it was handed (see `StreamLockOutcome`).
   */
  pullMarks?: StreamPullMarks;
}

export interface StreamLockOptions {
  stream: StreamKey;
  /** Stored in the lock for operators to read, e.g. `<host>:<pid> job <id>`. */
  owner: string;
  /** Stops the work (shutdown); combined with the lock's own `lost` signal. */
  signal: AbortSignal;
  /** When the stream is busy, leave a pull mark for its holder to serve (needs `deps.pullMarks`). Default false. */
  markIfBusy?: boolean;
}

/**
 * What `withStreamLock` did: ran the work under the lock, or found the stream taken by `holder` (its token, null if
 * it released meanwhile), whose lock expires at `expiresAt` unless renewed (and left a pull mark when `marked`).
 * `pullMark`, after work that ended without throwing: the value of a mark left while it ran,
 * now taken off; whoever gets one must make sure a read of the stream starts after now (a continuation or a
 * follow-up job, or reading again), or the request is lost.
 */
export type StreamLockOutcome<T> =
  { taken: true; value: T; pullMark: string | null } | { taken: false; holder: string | null; expiresAt: Date | null; marked: boolean };

/**
 * The prefix of the stream lock keys under the fleet's Redis key prefix (`redis.keyPrefix`, e.g. `nango-replicator:`):
 * `<redisKeyPrefix>lock:`. Every process that takes or reads stream locks (workers, one-shot commands with
 * `REDIS_URL`) must use it, or their locks would not exclude each other.
 */
export function streamLockKeyPrefix(redisKeyPrefix: string): string {
  return `${redisKeyPrefix}lock:`;
}

/**
 * Runs `work` while holding the stream's lock, the one every kind of job reading the stream takes, and releases
 * it afterwards however `work` ends. If another holder has the lock, `work` does not run and the holder's token is
 * returned. `work` gets a signal that aborts on `options.signal` or when the lock is lost; it should stop at its
 * next safe point. A lock whose holder is a process of this machine that no longer exists is taken over at once
 * (see `RedisLocks.tryAcquire`). Before `work` starts, runs of the stream left `running` are closed as `abandoned`:
 * with the lock held and no run of ours started yet, none of them can still be going on (their process died).
 *
 * Pull marks (with `deps.pullMarks`) make a request that finds the stream busy wait for its holder instead of being
 * dropped. The busy side marks, then tries the lock once more; the holder clears the mark before it reads and
 * takes it after it has released the lock. Whatever the interleaving, a mark is either cleared by a holder that
 * reads after it, or taken by a holder that released before the second try (which then takes the lock itself).
 */
export async function withStreamLock<T>(
  deps: StreamLockDeps,
  options: StreamLockOptions,
  work: (stop: AbortSignal) => Promise<T>,
): Promise<StreamLockOutcome<T>> {
  const { stream } = options;
  const name = streamLockName(stream);
  let lock = await deps.locks.tryAcquire(name, options.owner);
  const marks = deps.pullMarks;
  const marked = lock === null && options.markIfBusy === true && marks !== undefined;
  if (marked) {
    await marks.mark(stream, options.owner);
    // The holder may have released between the first try and the mark, too early to see it.
    lock = await deps.locks.tryAcquire(name, options.owner);
  }
  if (lock === null) {
    const holding = await deps.locks.holding(name);
    return { taken: false, holder: holding?.token ?? null, expiresAt: holding?.expiresAt ?? null, marked };
  }
  let value: T;
  try {
    await marks?.clear(stream); // every request so far is served by the read below
    const abandoned = await abandonRuns(deps.db, stream);
    if (abandoned.length > 0)
      deps.logger.warn({ runs: abandoned }, 'runs left running by a process that stopped without finishing them are marked abandoned');
    value = await work(AbortSignal.any([options.signal, lock.lost]));
  } finally {
    await lock.release();
  }
  // After the release: a request marked from now on finds the lock free on its second try.
  const pullMark = marks === undefined ? null : await marks.take(stream);
  return { taken: true, value, pullMark };
}
