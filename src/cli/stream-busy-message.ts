import { lockOwner } from '../lock/lock-owner.js';
import { describeStream, type StreamKey } from '../stream/stream-key.js';

/** Who holds a stream's lock, and until when if it stops renewing it (see `StreamLockOutcome`). */
export interface StreamHolder {
  /** The holder's lock token, or null when it released the lock just after it was found taken. */
  holder: string | null;
  expiresAt: Date | null;
}

/**
 * Who is reading the stream, in words, from its lock owner (`<host>:<pid> <role>`, the roles given by the worker's
 * sync jobs (`job <id>`), its backfill jobs (`backfill <id>`) and one-shot commands (`cli <command>`)).
 */
function describeHolder(owner: string): { who: string; after: string } {
  const role = owner.slice(owner.indexOf(' ') + 1);
  const process = owner.split(' ')[0] ?? owner;
  if (role.startsWith('job ')) return { who: `a worker job (${owner})`, after: 'it reads it to the end by itself' };
  if (role.startsWith('backfill ')) {
    return { who: `a backfill (${owner})`, after: 'it reads the whole stream, which can take long; the workers go on syncing it after it' };
  }
  if (role === 'cli sync') return { who: `another nango-replicator sync (${process})`, after: 'it reads it to the end' };
  return { who: `another process (${owner})`, after: 'it reads it to the end' };
}

/** `HH:MM:SS` in this machine's time zone. */
function clockTime(date: Date): string {
  return date.toTimeString().slice(0, 8);
}

/** The stderr line for a stream skipped because another process holds it. */
export function streamBusyMessage(stream: StreamKey, { holder, expiresAt }: StreamHolder): string {
  if (holder === null) {
    return `${describeStream(stream)}: skipped, another process was reading this stream and has just finished; run sync again.`;
  }
  const { who, after } = describeHolder(lockOwner(holder));
  const expiry = expiresAt === null ? '' : `; the lock expires at ${clockTime(expiresAt)} if that process died`;
  return `${describeStream(stream)}: skipped, ${who} is reading this stream; ${after}${expiry}; run again then or use --wait.`;
}

/** The stderr line of `sync --wait` when it starts waiting for the holder of a stream. */
export function streamWaitMessage(stream: StreamKey, { holder, expiresAt }: StreamHolder): string {
  const who = holder === null ? 'another process' : describeHolder(lockOwner(holder)).who;
  const expiry = expiresAt === null ? '' : ` (its lock expires at ${clockTime(expiresAt)} if that process died)`;
  return `${describeStream(stream)}: waiting for ${who} to finish reading this stream${expiry}; Ctrl-C to stop waiting.`;
}
