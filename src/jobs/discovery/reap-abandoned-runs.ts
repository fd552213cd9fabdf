import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { RedisLocks } from '../../lock/redis-locks.js';
import { abandonRuns, type AbandonedRun } from '../../store/abandon-runs.js';
import { databaseNow } from '../../store/database-now.js';
import { listStreamsWithRunningRuns } from '../../store/list-streams-with-running-runs.js';
import type { ReplicatorDatabase } from '../../store/replicator-tables.js';
import { describeStream } from '../../stream/stream-key.js';
import { streamLockName } from '../../stream/stream-ids.js';

export interface ReapAbandonedRunsDeps {
  db: Kysely<ReplicatorDatabase>;
  locks: RedisLocks;
  logger: Logger;
}

/**
 * Closes as `abandoned` the runs left `running` by a process that died, on every stream whose lock is free: a run
 * is `running` only while its process holds the stream lock. Catches the streams no job takes again soon (a long
 * `every`, a stream no longer followed); a job taking a stream's lock does the same for that stream first (see
 * `withStreamLock`). Only runs started before the sweep began are looked at, so a run started meanwhile (after its
 * process took the lock this sweep saw free) is left alone. Returns the runs closed.
 */
export async function reapAbandonedRuns(deps: ReapAbandonedRunsDeps, options: { signal?: AbortSignal } = {}): Promise<AbandonedRun[]> {
  const startedBefore = await databaseNow(deps.db);
  const closed: AbandonedRun[] = [];
  for (const stream of await listStreamsWithRunningRuns(deps.db, { startedBefore })) {
    options.signal?.throwIfAborted();
    if ((await deps.locks.holder(streamLockName(stream))) !== null) continue;
    const runs = await abandonRuns(deps.db, stream, { startedBefore });
    if (runs.length > 0)
      deps.logger.warn(
        { stream: describeStream(stream), runs },
        'runs left running by a process that stopped without finishing them are marked abandoned',
      );
    closed.push(...runs);
  }
  return closed;
}
