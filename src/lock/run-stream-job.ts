import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { errorSummary } from '../errors/error-summary.js';
import { isTerminal, ReplicatorError } from '../errors/replicator-error.js';
import type { RedisLocks } from './redis-locks.js';
import { recordStreamError } from '../store/record-stream-error.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import type { StreamKey } from '../stream/stream-key.js';
import type { StreamPullMarks } from './stream-pull-marks.js';
import { withStreamLock } from './with-stream-lock.js';

export interface StreamJobDeps {
  db: Kysely<ReplicatorDatabase>;
  locks: RedisLocks;
  /** The fleet's pull marks; without them nothing is marked nor served (see `withStreamLock`). */
  pullMarks?: StreamPullMarks;
  logger: Logger;
}

/** How the read under the lock ended, when it did not throw. */
export type StreamRead<T> =
  | { status: 'read'; value: T }
  /** Another run moved the cursor under this one (its lock had expired): the page rolled back, that run carries on. */
  | { status: 'superseded' }
  /** Stopped before the end (shutdown, or the lock lost) by a failure that is not terminal; see `interruptOnStop`. */
  | { status: 'interrupted' };

/** The stream was held by `holder` (its token, null if it released meanwhile) until `expiresAt` unless renewed. */
export interface StreamBusy {
  holder: string | null;
  expiresAt: Date | null;
  /** Whether this job left a pull mark for the holder. */
  marked: boolean;
}

/** A job's attempts, for its failure note: whether BullMQ will retry it. */
export interface StreamJobAttempts {
  /** Attempts that already failed. */
  made: number;
  /** Attempts allowed in all. */
  allowed: number;
}

export interface StreamJob<T, R> {
  stream: StreamKey;
  /** Stored in the lock for operators to read, e.g. `<host>:<pid> job <id>`. */
  owner: string;
  /** Stops the read (shutdown); combined with the lock's own `lost` signal. */
  signal: AbortSignal;
  /** Logged with every line besides the stream, e.g. `{ jobId }`. */
  logFields?: Record<string, unknown>;
  /** When the stream is busy, leave a pull mark for its holder (see `withStreamLock`). Default false. */
  markIfBusy?: boolean;
  /** A `stream_taken` failure ends the read as `superseded` instead of throwing. Default true. */
  givesWay?: boolean;
  /** A failure that is not terminal, once the read's signal aborted, ends it as `interrupted`. Default false. */
  interruptOnStop?: boolean;
  /**
   * With it, a failure is noted before it is rethrown: logged as `<what> failed; BullMQ retries it` (or `for good`)
   * and passed to `onFailure` (more bookkeeping), then stored on the stream for `status` (a throw there is logged).
   */
  failure?: { what: string; attempts: StreamJobAttempts; onFailure?(summary: Record<string, unknown>): Promise<void> | void };
  /** The read, given a signal that aborts on `signal` or when the lock is lost, and the job's logger. */
  read(stop: AbortSignal, logger: Logger): Promise<T>;
  /** What the job comes to when another holds the stream. */
  busy(busy: StreamBusy, logger: Logger): R;
  /**
   * The pull-mark policy, called after the lock was released with the mark taken off (null when none was left):
   * whoever gets a mark must see that a read of the stream starts after now, or the request is lost.
   */
  afterRelease(pullMark: string | null, read: StreamRead<T>, logger: Logger): Promise<R>;
}

/**
 * The one protocol of every reader of a stream (a sync job, a backfill stream job, the `sync` command): take the
 * stream's lock (or report it busy, leaving a pull mark if asked), read under it with a logger that names the
 * stream, map a read that gave way or was interrupted, note a failure, release, then serve the pull mark by the
 * caller's policy. The caller supplies only the read and what busy and a released stream's mark come to.
 */
export async function runStreamJob<T, R>(deps: StreamJobDeps, job: StreamJob<T, R>): Promise<R> {
  const { stream } = job;
  const logger = deps.logger.child({
    integration: stream.providerConfigKey,
    connection: stream.connectionId,
    model: stream.model,
    variant: stream.variant,
    ...job.logFields,
  });
  const lockOptions = { stream, owner: job.owner, signal: job.signal, markIfBusy: job.markIfBusy };
  const locked = await withStreamLock({ ...deps, logger }, lockOptions, async (stop): Promise<StreamRead<T>> => {
    try {
      return { status: 'read', value: await job.read(stop, logger) };
    } catch (error) {
      if ((job.givesWay ?? true) && error instanceof ReplicatorError && error.code === 'stream_taken') return { status: 'superseded' };
      if (job.interruptOnStop === true && stop.aborted && !isTerminal(error)) return { status: 'interrupted' };
      if (job.failure) await noteFailure({ db: deps.db, logger }, stream, job.failure, error);
      throw error;
    }
  });
  if (!locked.taken) return job.busy({ holder: locked.holder, expiresAt: locked.expiresAt, marked: locked.marked }, logger);
  return job.afterRelease(locked.pullMark, locked.value, logger);
}

async function noteFailure(
  deps: { db: Kysely<ReplicatorDatabase>; logger: Logger },
  stream: StreamKey,
  failure: NonNullable<StreamJob<unknown, unknown>['failure']>,
  error: unknown,
): Promise<void> {
  const attempt = failure.attempts.made + 1;
  const willRetry = !isTerminal(error) && attempt < failure.attempts.allowed;
  const summary = { ...errorSummary(error), attempt, willRetry };
  deps.logger.error({ err: summary }, willRetry ? `${failure.what} failed; BullMQ retries it` : `${failure.what} failed for good`);
  try {
    await failure.onFailure?.(summary);
    await recordStreamError(deps.db, stream, summary);
  } catch (recordError) {
    // The job's own failure is what matters; status misses this one error.
    deps.logger.warn({ err: errorSummary(recordError) }, 'could not store the failure on the stream');
  }
}
