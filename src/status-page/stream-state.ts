import type { StatusRow } from './load-status-rows.js';

/** How a stream is doing, at a glance. */
export type StreamState = 'failing' | 'stale' | 'fresh' | 'running' | 'never';

/**
 * `failing` when its last error is set (a failed run or a failed-sync webhook); `never` before its first
 * successful run (`running` while that run is going on); `stale` when the last success is older than
 * `staleAfterSeconds`; otherwise `fresh`.
 */
export function streamState(row: StatusRow, staleAfterSeconds: number): StreamState {
  if (row.lastError !== null) return 'failing';
  if (row.secondsSinceLastSuccess === null) return row.lastRun?.status === 'running' ? 'running' : 'never';
  return row.secondsSinceLastSuccess > staleAfterSeconds ? 'stale' : 'fresh';
}
