import { formatCount } from '../util/format-count.js';

/** 1234 -> "1.2 s", 95000 -> "1 min 35 s" */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** Records per second over an elapsed time, "-" before there is a meaningful figure. */
export function formatRate(count: number, elapsedMs: number): string {
  return elapsedMs < 200 ? '-' : `${formatCount((count * 1000) / elapsedMs)}/s`;
}
