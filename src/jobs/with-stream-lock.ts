import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { RedisLocks } from '../lock/redis-locks.js';
import { abandonRuns } from '../store/abandon-runs.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import type { StreamKey } from '../store/stream-key.js';
import { streamLockName } from './stream-ids.js';

export interface StreamLockDeps {
  db: Kysely<ReplicatorDatabase>;
  locks: RedisLocks;
  /** Should carry the stream and the job. */
  logger: Logger;
}

export interface StreamLockOptions {
  stream: StreamKey;
  /** Stored in the lock for operators to read, e.g. `<host>:<pid> job <id>`. */
  owner: string;
  /** Stops the work (shutdown); combined with the lock's own `lost` signal. */
  signal: AbortSignal;
}

/** What `withStreamLock` did: ran the work under the lock, or found the stream taken by `holder`. */
export type StreamLockOutcome<T> = { taken: true; value: T } | { taken: false; holder: string | null };

/**
 * Runs `work` while holding the stream's lock, the one every kind of job reading the stream takes, and releases
 * it afterwards however `work` ends. If another holder has the lock, `work` does not run and the holder's token is
 * returned. `work` gets a signal that aborts on `options.signal` or when the lock is lost; it should stop at its
 * next safe point. Before `work` starts, runs of the stream left `running` are closed as `abandoned`: with the
 * lock held and no run of ours started yet, none of them can still be going on (their process died).
 */
export async function withStreamLock<T>(
  deps: StreamLockDeps,
  options: StreamLockOptions,
  work: (stop: AbortSignal) => Promise<T>,
): Promise<StreamLockOutcome<T>> {
  const name = streamLockName(options.stream);
  const lock = await deps.locks.tryAcquire(name, options.owner);
  if (lock === null) return { taken: false, holder: await deps.locks.holder(name) };
  try {
    const abandoned = await abandonRuns(deps.db, options.stream);
    if (abandoned.length > 0) deps.logger.warn({ runs: abandoned }, 'runs left running by a process that stopped without finishing them are marked abandoned');
    return { taken: true, value: await work(AbortSignal.any([options.signal, lock.lost])) };
  } finally {
    await lock.release();
  }
}
