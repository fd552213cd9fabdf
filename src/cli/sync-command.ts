import { historyFor } from '../config/history-for.js';
import type { RedisLocks } from '../lock/redis-locks.js';
import type { StreamPullMarks } from '../lock/stream-pull-marks.js';
import type { Logger } from 'pino';
import { runStreamJob, type StreamBusy } from '../lock/run-stream-job.js';
import { directModelFields } from '../replicate/model-fields-lookup.js';
import { retryOnPostgresFailure, SYNC_RUN_RETRIES } from '../store/retry-on-postgres-failure.js';
import { describeStream, type StreamKey } from '../stream/stream-key.js';
import { addTotals } from '../write/totals.js';
import { errorSummary } from '../errors/error-summary.js';
import { replicateStream, type ReplicateProgress, type ReplicateSummary } from '../replicate/replicate-stream.js';
import { abortableSleep } from '../util/abortable-sleep.js';
import type { App } from './open-app.js';
import { formatCount, formatCountOf } from '../util/format-count.js';
import { formatDuration, formatRate } from './format.js';
import { streamBusyMessage, streamWaitMessage } from './stream-busy-message.js';
import type { Terminal } from './terminal.js';
import { recordStreamError } from '../store/record-stream-error.js';

export interface SyncCommandOptions {
  /** Read one after the other, in this order. */
  streams: ReadonlyArray<StreamKey>;
  full: boolean;
  pageSize?: number;
  json: boolean;
  /**
   * With `locks`: a stream another live process holds is waited for (its lock polled every `WAIT_POLL_MS`) until it
   * is released or expires, then read, instead of skipped. `io.signal` stops the wait (the stream is skipped).
   */
  wait?: boolean;
}

/**
 * The fleet's stream locks (with `REDIS_URL`): each stream is read under its lock, as a worker job would, and a
 * stream another process holds is skipped. Without them runs are not coordinated with anyone.
 */
export interface SyncCommandLocks {
  locks: RedisLocks;
  /**
   * The fleet's pull marks: a sync job that finds the stream busy while this command reads it leaves one, and the
   * command reads the stream once more after its run (at most `MAX_EXTRA_READS` times).
   */
  pullMarks?: StreamPullMarks;
  /** Stored in the locks taken, e.g. `<host>:<pid> cli sync`. */
  owner: string;
}

/**
 * What happened to one stream: read (to the end or not), skipped because another process holds it, its lock lost,
 * or failed (`error`: the error's code and message, as stored on the stream for `status`).
 */
export type StreamSyncOutcome =
  | { stream: StreamKey; outcome: 'synced'; summary: ReplicateSummary }
  | { stream: StreamKey; outcome: 'busy'; holder: string | null; expiresAt: Date | null }
  | { stream: StreamKey; outcome: 'lock-lost'; summary: ReplicateSummary }
  | { stream: StreamKey; outcome: 'failed'; error: { code: string; message: string } }
  /** Asked to stop (Ctrl-C) before its run began, e.g. while the model was looked up: nothing was read. */
  | { stream: StreamKey; outcome: 'stopped' };

/** Extra reads of one stream for pull requests that arrived while this command read it. */
const MAX_EXTRA_READS = 3;

/** How often `--wait` tries the lock of a stream another process holds, ms. */
const WAIT_POLL_MS = 250;

/**
 * `nango-replicator sync`: reads each stream from its stored cursor to the end, showing live progress on a
 * terminal, and prints a summary per stream on stdout (one line, or one JSON object per line with --json). A stream
 * that fails does not stop the others: its error goes to stderr at once, and once every stream has been tried, a
 * list of the failed streams with their reasons. With `locks`, a stream held by another process is skipped with a
 * message on stderr naming the holder and when its lock expires, and the next stream is read; or, with
 * `options.wait`, waited for. A holder of this machine whose process no longer exists is taken over at once. Stops
 * before the next stream once `io.signal` aborts. `io.scrub` removes secrets from error messages before they are printed.
 */
export async function syncCommand(
  app: App,
  options: SyncCommandOptions,
  io: {
    stdout: NodeJS.WritableStream;
    terminal: Terminal;
    signal: AbortSignal;
    locks?: SyncCommandLocks;
    scrub?: (text: string) => string;
  },
): Promise<StreamSyncOutcome[]> {
  const outcomes: StreamSyncOutcome[] = [];
  const scrub = io.scrub ?? ((text: string) => text);
  for (const stream of options.streams) {
    if (io.signal.aborted) break;
    const outcome = await syncOneStream(app, options, io, stream).catch((error: unknown) =>
      io.signal.aborted && error === io.signal.reason ? ({ stream, outcome: 'stopped' } as const) : failed(stream, error, scrub),
    );
    io.terminal.clearStatus();
    if (outcome.outcome === 'stopped') io.terminal.write(`${describeStream(stream)}: stopped before anything was read\n`);
    else if (outcome.outcome === 'busy') io.terminal.write(`${streamBusyMessage(stream, outcome)}\n`);
    else if (outcome.outcome === 'failed')
      io.terminal.write(`${describeStream(stream)}: failed: ${outcome.error.code}: ${outcome.error.message}\n`);
    else {
      const { summary } = outcome;
      io.stdout.write(options.json ? `${JSON.stringify({ stream, ...summary })}\n` : `${summaryLine(stream, summary)}\n`);
      if (outcome.outcome === 'lock-lost') io.terminal.write(`${lockLostMessage(stream)}\n`);
    }
    outcomes.push(outcome);
  }
  const failures = outcomes.filter((o) => o.outcome === 'failed');
  await recordFailures(app, failures);
  if (failures.length > 0) io.terminal.write(failureSummary(failures, outcomes.length));
  return outcomes;
}

function failed(stream: StreamKey, error: unknown, scrub: (text: string) => string): StreamSyncOutcome {
  const summary = errorSummary(error);
  return { stream, outcome: 'failed', error: { code: String(summary.code), message: scrub(String(summary.message)) } };
}

/**
 * Stores each failed stream's error on the stream for `status`, as a worker job does: a failure before a run could
 * start (Nango unreachable while the model is looked up) leaves no run to carry it. A run that gave way to another
 * (`stream_taken`) is not a failure of the stream (see `finishRun`).
 */
async function recordFailures(app: App, failures: ReadonlyArray<StreamSyncOutcome>): Promise<void> {
  for (const failure of failures) {
    if (failure.outcome !== 'failed' || failure.error.code === 'stream_taken') continue;
    try {
      await recordStreamError(app.db, failure.stream, failure.error);
    } catch (recordError) {
      // Postgres itself may be what failed; the error is printed all the same.
      app.logger.warn({ err: errorSummary(recordError) }, 'could not store the failure on the stream');
    }
  }
}

async function syncOneStream(
  app: App,
  options: SyncCommandOptions,
  io: { terminal: Terminal; signal: AbortSignal; locks?: SyncCommandLocks },
  stream: StreamKey,
): Promise<StreamSyncOutcome> {
  const modelFields = directModelFields(app.nango);
  // A lost Postgres connection or a serialization failure fails the run, not the stream: the run is tried again
  // from the cursor that committed (what was in flight rolled back), a bounded number of times.
  const read = (signal: AbortSignal, logger: Logger, done?: ReplicateProgress) =>
    retryOnPostgresFailure({ logger }, SYNC_RUN_RETRIES, signal, () => readOnce(signal, logger, done));
  const readOnce = (signal: AbortSignal, logger: Logger, done?: ReplicateProgress) =>
    replicateStream(
      { db: app.db, nango: app.nango, modelFields, logger },
      {
        stream,
        schema: app.config.target.schema,
        deletes: app.config.target.deletes,
        history: historyFor(app.config, stream),
        fillfactor: app.config.target.fillfactor,
        pageSize: options.pageSize ?? app.config.nango.pageSize,
        full: options.full && done === undefined, // a read again for a pull request goes on from the cursor
        signal,
        onProgress: (progress) => io.terminal.status(progressLine(stream, done === undefined ? progress : addTotals(done, progress))),
      },
    );
  const { locks } = io;
  if (locks === undefined) {
    const logger = app.logger.child({
      integration: stream.providerConfigKey,
      connection: stream.connectionId,
      model: stream.model,
      variant: stream.variant,
    });
    return { stream, outcome: 'synced', summary: await read(io.signal, logger) };
  }
  let done: ReplicateSummary | undefined;
  let waiting = false;
  for (let reads = 0; ;) {
    const step = await runStreamJob<{ lost: boolean; summary: ReplicateSummary }, LockedRead>(
      { db: app.db, locks: locks.locks, pullMarks: locks.pullMarks, logger: app.logger },
      {
        stream,
        owner: locks.owner,
        signal: io.signal,
        markIfBusy: done !== undefined,
        givesWay: false, // a run that gave way is reported as such (stream_taken), not as read
        read: async (stop, logger) => {
          const summary = await read(stop, logger, done);
          // Stopped, but not by us: the lock expired (Redis unreachable for a whole lockDuration) or was taken over.
          return { lost: !summary.complete && stop.aborted && !io.signal.aborted, summary };
        },
        busy: (busy) => ({ taken: false, ...busy }),
        afterRelease: async (pullMark, result, logger) => {
          if (result.status !== 'read') throw new Error(`unexpected ${result.status} read`); // neither gives way nor is interrupted
          return { taken: true, pullMark, logger, ...result.value };
        },
      },
    );
    // Busy on a read again: the holder got our mark and serves it.
    if (!step.taken && done !== undefined) return { stream, outcome: 'synced', summary: done };
    if (!step.taken) {
      const busy = { stream, outcome: 'busy', holder: step.holder, expiresAt: step.expiresAt } as const;
      if (options.wait !== true || io.signal.aborted) return busy;
      if (!waiting && step.holder !== null) {
        io.terminal.write(`${streamWaitMessage(stream, step)}\n`);
        waiting = true;
      }
      // Stopped waiting (SIGINT): skipped like without --wait.
      if (
        !(await abortableSleep(WAIT_POLL_MS, io.signal).then(
          () => true,
          () => false,
        ))
      )
        return busy;
      continue;
    }
    reads += 1;
    const { lost, summary } = step;
    done = done === undefined ? summary : { ...addTotals(done, summary), complete: summary.complete, cursor: summary.cursor };
    // The command's pull-mark policy: read the stream once more (a few times at most), else leave the mark again.
    const served = step.pullMark === null;
    if (served || lost || !summary.complete || reads === 1 + MAX_EXTRA_READS || io.signal.aborted) {
      if (!served) await locks.pullMarks?.mark(stream, locks.owner); // not served here: left for the stream's next job
      return { stream, outcome: lost ? 'lock-lost' : 'synced', summary: done };
    }
    step.logger.info({ requestedBy: step.pullMark }, 'a worker asked for a pull of this stream while sync read it: reading it once more');
  }
}

/** One turn of `syncOneStream` under the kernel: the stream was busy, or read (and its pull mark taken). */
type LockedRead =
  ({ taken: false } & StreamBusy) | { taken: true; pullMark: string | null; logger: Logger; lost: boolean; summary: ReplicateSummary };

function failureSummary(failures: ReadonlyArray<StreamSyncOutcome>, tried: number): string {
  const lines = failures.map((o) => (o.outcome === 'failed' ? `  ${describeStream(o.stream)}: ${o.error.code}: ${o.error.message}\n` : ''));
  return `${failures.length} of ${formatCountOf(tried, 'stream')} failed:\n${lines.join('')}`;
}

function lockLostMessage(stream: StreamKey): string {
  return (
    `${describeStream(stream)}: stopped after its last committed page because this process lost the stream's lock ` +
    '(Redis did not confirm it for a whole worker.lockDuration); run sync again to continue from there.'
  );
}

function progressLine(stream: StreamKey, p: ReplicateProgress): string {
  return (
    `${describeStream(stream)}: page ${p.pages}, ${formatCountOf(p.records, 'record')} (${formatRate(p.records, p.elapsedMs)}), ` +
    `${formatCount(p.upserted)} upserted, ${formatCount(p.deleted)} deleted`
  );
}

function summaryLine(stream: StreamKey, s: ReplicateSummary): string {
  const parts = [
    formatCountOf(s.pages, 'page'),
    formatCountOf(s.records, 'record'),
    `${formatCount(s.upserted)} upserted`,
    `${formatCount(s.deleted)} deleted`,
    formatCountOf(s.valueErrors, 'value error'),
  ];
  if (s.rejected > 0) parts.push(`${formatCount(s.rejected)} rejected (see nango_replicator.dead_letters)`);
  if (s.nulRemoved > 0) parts.push(`${formatCountOf(s.nulRemoved, 'NUL character')} removed`);
  const ending = s.complete ? 'up to date' : 'stopped before the end; run again to continue';
  return `${describeStream(stream)}: ${parts.join(', ')} in ${formatDuration(s.elapsedMs)} (${ending})`;
}
