import type { RedisLocks } from '../lock/redis-locks.js';
import { lockOwner } from '../lock/lock-owner.js';
import { withStreamLock } from '../jobs/with-stream-lock.js';
import { describeStream, type StreamKey } from '../store/stream-key.js';
import { replicateStream, type ReplicateProgress, type ReplicateSummary } from '../replicate/replicate-stream.js';
import type { App } from './open-app.js';
import { formatCount, formatDuration, formatRate } from './format.js';
import type { Terminal } from './terminal.js';

export interface SyncCommandOptions {
  /** Read one after the other, in this order. */
  streams: ReadonlyArray<StreamKey>;
  full: boolean;
  pageSize?: number;
  json: boolean;
}

/**
 * The fleet's stream locks (with `REDIS_URL`): each stream is read under its lock, as a worker job would, and a
 * stream another process holds is skipped. Without them runs are not coordinated with anyone.
 */
export interface SyncCommandLocks {
  locks: RedisLocks;
  /** Stored in the locks taken, e.g. `<host>:<pid> cli sync`. */
  owner: string;
}

/** What happened to one stream: read (to the end or not), skipped because another process holds it, or its lock lost. */
export type StreamSyncOutcome =
  | { stream: StreamKey; outcome: 'synced'; summary: ReplicateSummary }
  | { stream: StreamKey; outcome: 'busy'; holder: string | null }
  | { stream: StreamKey; outcome: 'lock-lost'; summary: ReplicateSummary };

/**
 * `nango-replicator sync`: reads each stream from its stored cursor to the end, showing live progress on a
 * terminal, and prints a summary per stream on stdout (one line, or one JSON object per line with --json). With
 * `locks`, a stream held by another process is skipped with a message on stderr naming the holder, and the next
 * stream is read. Stops before the next stream once `io.signal` aborts.
 */
export async function syncCommand(
  app: App,
  options: SyncCommandOptions,
  io: { stdout: NodeJS.WritableStream; terminal: Terminal; signal: AbortSignal; locks?: SyncCommandLocks },
): Promise<StreamSyncOutcome[]> {
  const outcomes: StreamSyncOutcome[] = [];
  for (const stream of options.streams) {
    if (io.signal.aborted) break;
    const outcome = await syncOneStream(app, options, io, stream);
    io.terminal.clearStatus();
    if (outcome.outcome === 'busy') io.terminal.write(`${busyMessage(stream, outcome.holder)}\n`);
    else {
      const { summary } = outcome;
      io.stdout.write(options.json ? `${JSON.stringify({ stream, ...summary })}\n` : `${summaryLine(stream, summary)}\n`);
      if (outcome.outcome === 'lock-lost') io.terminal.write(`${lockLostMessage(stream)}\n`);
    }
    outcomes.push(outcome);
  }
  return outcomes;
}

async function syncOneStream(
  app: App,
  options: SyncCommandOptions,
  io: { terminal: Terminal; signal: AbortSignal; locks?: SyncCommandLocks },
  stream: StreamKey,
): Promise<StreamSyncOutcome> {
  const logger = app.logger.child({ integration: stream.providerConfigKey, connection: stream.connectionId, model: stream.model });
  const read = (signal: AbortSignal) =>
    replicateStream(
      { db: app.db, nango: app.nango, logger },
      {
        stream,
        schema: app.config.target.schema,
        deletes: app.config.target.deletes,
        pageSize: options.pageSize ?? app.config.nango.pageSize,
        full: options.full,
        signal,
        onProgress: (progress) => io.terminal.status(progressLine(stream, progress)),
      },
    );
  if (io.locks === undefined) return { stream, outcome: 'synced', summary: await read(io.signal) };
  const locked = await withStreamLock({ db: app.db, locks: io.locks.locks, logger }, { stream, owner: io.locks.owner, signal: io.signal }, async (stop) => {
    const summary = await read(stop);
    // Stopped, but not by us: the lock expired (Redis unreachable for a whole lockDuration) or was taken over.
    const lost = !summary.complete && stop.aborted && !io.signal.aborted;
    return { stream, outcome: lost ? 'lock-lost' : 'synced', summary } as const;
  });
  return locked.taken ? locked.value : { stream, outcome: 'busy', holder: locked.holder };
}

function busyMessage(stream: StreamKey, holder: string | null): string {
  const who = holder === null ? 'another process (it released the lock just now)' : lockOwner(holder);
  return `${describeStream(stream)}: skipped, another process is reading this stream: ${who}. A worker job reads it ` +
    'to the end by itself; to run it here, wait until that run has finished (`nango-replicator status` shows it), then run sync again.';
}

function lockLostMessage(stream: StreamKey): string {
  return `${describeStream(stream)}: stopped after its last committed page because this process lost the stream's lock ` +
    '(Redis did not confirm it for a whole worker.lockDuration); run sync again to continue from there.';
}

function progressLine(stream: StreamKey, p: ReplicateProgress): string {
  return `${describeStream(stream)}: page ${p.pages}, ${formatCount(p.records)} records (${formatRate(p.records, p.elapsedMs)}), ` +
    `${formatCount(p.upserted)} upserted, ${formatCount(p.deleted)} deleted`;
}

function summaryLine(stream: StreamKey, s: ReplicateSummary): string {
  const parts = [
    `${s.pages} ${s.pages === 1 ? 'page' : 'pages'}`,
    `${formatCount(s.records)} records`,
    `${formatCount(s.upserted)} upserted`,
    `${formatCount(s.deleted)} deleted`,
    `${formatCount(s.valueErrors)} value errors`,
  ];
  if (s.rejected > 0) parts.push(`${formatCount(s.rejected)} rejected (see nango_replicator.dead_letters)`);
  if (s.nulRemoved > 0) parts.push(`${formatCount(s.nulRemoved)} NUL characters removed`);
  const ending = s.complete ? 'up to date' : 'stopped before the end; run again to continue';
  return `${describeStream(stream)}: ${parts.join(', ')} in ${formatDuration(s.elapsedMs)} (${ending})`;
}
