import type { BackfillSummary } from '../jobs/backfill/summarize-backfill.js';
import { describeStream } from '../stream/stream-key.js';
import { formatCount, formatCountOf } from '../util/format-count.js';
import type { BackfillView } from './watch-backfill.js';

/** Streams listed one per line in a final summary; the rest are counted. */
const LISTED = 20;

/** One progress line, e.g. `backfill 12: 1/3 streams done, 1 running, 4 pages, 1,234 records (320/s)`. */
export function describeBackfillView(jobId: string, view: BackfillView): string {
  if (view.streams === null) {
    if (view.state === 'active') return `backfill ${jobId}: listing its streams`;
    return `backfill ${jobId}: ${view.state === 'waiting' ? 'waiting for a worker to take it' : view.state}`;
  }
  const failed = view.failed > 0 ? `, ${view.failed} failed` : '';
  const rate = view.running > 0 && view.recordsPerSecond !== null ? ` (${formatCount(view.recordsPerSecond)}/s)` : '';
  return (
    `backfill ${jobId}: ${view.done}/${view.streams} streams done${failed}, ${view.running} running, ` +
    `${formatCountOf(view.pages, 'page')}, ${formatCountOf(view.records, 'record')}${rate}`
  );
}

/** The final counts, a line per stream (the first few), and what to do about refusals and failures. */
export function describeBackfillResult(
  jobId: string,
  result: { state: 'completed' | 'failed'; failedReason: string | null; summary: BackfillSummary | null },
): string {
  const { summary } = result;
  const lines = [
    result.state === 'completed' ? `Backfill ${jobId} completed.` : `Backfill ${jobId} failed: ${result.failedReason ?? 'no reason given'}`,
  ];
  if (summary === null) return `${lines.join('\n')}\n`;
  const outcomes = [
    summary.merged > 0 ? `${summary.merged} merged` : '',
    summary.replaced > 0 ? `${summary.replaced} replaced` : '',
    summary.refused > 0 ? `${summary.refused} refused` : '',
    summary.failed > 0 ? `${summary.failed} failed` : '',
  ].filter((part) => part !== '');
  lines.push(
    `${formatCountOf(summary.streams, 'stream')} (${outcomes.join(', ')}): ${formatCountOf(summary.pages, 'page')}, ` +
      `${formatCountOf(summary.records, 'record')}, ${formatCount(summary.upserted)} upserted, ${formatCount(summary.deleted)} deleted by Nango, ` +
      `${formatCount(summary.unseenDeleted)} deleted as unseen`,
  );
  for (const report of summary.reports.slice(0, LISTED)) {
    const unseen = report.mode === 'replace' ? `, ${formatCount(report.unseenDeleted)} deleted as unseen` : '';
    const why = report.outcome === 'refused' ? `: ${report.reason ?? ''}` : '';
    lines.push(
      `  ${describeStream(report.stream)}: ${report.outcome}, ${formatCountOf(report.pages, 'page')}, ${formatCountOf(report.records, 'record')}${unseen}${why}`,
    );
  }
  for (const failure of summary.failures.slice(0, LISTED)) {
    lines.push(`  ${failure.stream === null ? 'a stream' : describeStream(failure.stream)}: failed: ${failure.reason}`);
  }
  const unlisted = summary.streams - Math.min(summary.reports.length, LISTED) - Math.min(summary.failures.length, LISTED);
  if (unlisted > 0) lines.push(`  ... and ${unlisted} more (see status)`);
  if (summary.refused > 0) lines.push('Deletes were refused: check the source, then run again with --force to delete anyway.');
  return `${lines.join('\n')}\n`;
}
