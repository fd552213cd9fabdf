import { createHash } from 'node:crypto';
import { BASE_VARIANT, type StreamKey } from './stream-key.js';

/**
 * Names derived from a stream, deterministic so every process computes the same ones. Each part is
 * percent-encoded, so `/` separates parts unambiguously and no `:` (which BullMQ reserves in job ids) appears.
 * The base variant has no part of its own (its names are those of the versions before variants, which existing
 * deployments hold schedulers under); any other variant is a fifth part.
 */
function encoded(stream: StreamKey): string {
  const parts = [stream.providerConfigKey, stream.connectionId, stream.model];
  if (stream.variant !== BASE_VARIANT) parts.push(stream.variant);
  return parts.map(encodeURIComponent).join('/');
}

/**
 * The id of a stream's job scheduler on `nango-sync`: `sync/<integration>/<connection>/<model>` for the base
 * variant, `sync/<integration>/<connection>/<model>/<variant>` for another.
 */
export function streamSchedulerId(stream: StreamKey): string {
  return `sync/${encoded(stream)}`;
}

/** The stream a scheduler id names, or null for an id this replicator did not create. */
export function streamFromSchedulerId(id: string): StreamKey | null {
  const parts = id.split('/');
  if ((parts.length !== 4 && parts.length !== 5) || parts[0] !== 'sync') return null;
  try {
    const [providerConfigKey, connectionId, model, variant = BASE_VARIANT] = parts.slice(1).map(decodeURIComponent) as [
      string,
      string,
      string,
      string | undefined,
    ];
    // `base` spelled out as a fifth part is not an id we produce (base has four parts).
    if (parts.length === 5 && variant === BASE_VARIANT) return null;
    return { providerConfigKey, connectionId, model, variant };
  } catch {
    return null; // not percent-encoding we produced
  }
}

/**
 * The name of a stream's lock. Every kind of job that reads the stream (sync, backfill) takes this one lock, so
 * at most one of them pages the stream at a time across all processes.
 */
export function streamLockName(stream: StreamKey): string {
  return `stream/${encoded(stream)}`;
}

/**
 * The id of the job that continues a sliced run: derived from the job that stopped and the cursor it stopped at,
 * so a job delivered twice enqueues its continuation once.
 */
export function continuationJobId(stream: StreamKey, parentJobId: string, cursor: string | null): string {
  const digest = createHash('sha256')
    .update(`${parentJobId}\n${cursor ?? ''}`)
    .digest('hex')
    .slice(0, 20);
  return `${streamSchedulerId(stream)}/then/${digest}`;
}

/**
 * The id of the pull that follows a holding during which a job found the stream busy: derived from the pull mark
 * the holder took (see `StreamPullMarks.take`), which one holder only can take, so one mark makes one job.
 */
export function followUpJobId(stream: StreamKey, pullMark: string): string {
  const digest = createHash('sha256').update(pullMark).digest('hex').slice(0, 20);
  return `${streamSchedulerId(stream)}/pull/${digest}`;
}
