import type { Logger } from 'pino';
import { ReplicatorError } from '../errors/replicator-error.js';
import { abortableSleep } from '../util/abortable-sleep.js';
import { postgresFailure } from './postgres-failure.js';

/** How often, and how far apart, a unit of work is tried again after a transient Postgres failure. */
export interface PostgresRetryPolicy {
  /** Tries in all, at least 1. */
  attempts: number;
  /** Ceiling of the first wait; it doubles with each retry up to `maxDelayMs`. Each wait is a random part of it (full jitter), ms. */
  minDelayMs: number;
  maxDelayMs: number;
}

/**
 * A `sync` run: five tries over about 15 s at most (waits up to 1, 2, 4, 8 s), enough for a failover or a
 * pooler restart, short enough that an operator is told soon when Postgres stays away.
 */
export const SYNC_RUN_RETRIES: PostgresRetryPolicy = { attempts: 5, minDelayMs: 1000, maxDelayMs: 8000 };

/**
 * Runs `work`, and runs it again (after a jittered, doubling wait) when it fails with a transient Postgres failure:
 * a lost connection or a serialization failure (see `postgresFailure`). `work` must be safe to repeat, like a run
 * that reads from its stored cursor: what committed stays, what did not rolled back. Any other failure, a failure
 * once `signal` aborted, or the last try's failure is thrown; the last one says how often the work was retried.
 */
export async function retryOnPostgresFailure<T>(
  deps: { logger: Logger; random?: () => number },
  policy: PostgresRetryPolicy,
  signal: AbortSignal | undefined,
  work: () => Promise<T>,
): Promise<T> {
  const random = deps.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (postgresFailure(error) === null || signal?.aborted) throw error;
      if (attempt >= policy.attempts) throw retriedInVain(error, attempt - 1);
      const delayMs = Math.round(random() * Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** (attempt - 1)));
      const reason = error instanceof ReplicatorError ? error.toJSON() : { message: (error as Error).message };
      deps.logger.warn({ err: reason, attempt, delayMs }, 'Postgres failed under the run; it is tried again');
      // Asked to stop while waiting: the failure stands.
      await abortableSleep(delayMs, signal).catch(() => Promise.reject(error));
    }
  }
}

function retriedInVain(error: unknown, retries: number): unknown {
  if (!(error instanceof ReplicatorError) || retries === 0) return error;
  return new ReplicatorError(error.code, `${error.message}; the run was retried ${retries} ${retries === 1 ? 'time' : 'times'}`, {
    retry: error.retry,
    cause: error.cause ?? error,
    details: { ...error.details, retries },
  });
}
