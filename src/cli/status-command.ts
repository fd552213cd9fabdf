import type { Kysely } from 'kysely';
import { describeFleetSchedule } from '../schedule/describe-fleet-schedule.js';
import { loadFleetSchedule } from '../schedule/plan-fleet-schedule.js';
import { listStreamStatus, type StreamStatus } from '../store/list-stream-status.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import type { StreamFilter } from '../store/stream-filter.js';
import { COUNTS_DIFFER_WORDING } from '../store/counts-differ-sql.js';
import { VARIANT_GONE_WORDING } from '../store/variant-gone-sql.js';
import { requestsSavedPerMinute } from '../store/requests-saved-per-minute.js';
import { type StreamSummary, summarizeStreams } from '../store/summarize-streams.js';
import { formatCount } from '../util/format-count.js';
import { describeModel, describeStream } from '../stream/stream-key.js';
import { formatDuration } from './format.js';
import { writeOrWait } from './write-or-wait.js';

const HEADERS = [
  'INTEGRATION',
  'CONNECTION',
  'MODEL',
  'STATE',
  'ROWS',
  'VALUE ERRORS',
  'LAST SUCCESS',
  'CURSOR AGE',
  'LAST ERROR',
] as const;
const ERROR_WIDTH = 100;

/** Up to this many streams, `status` lists them all; above, a summary and the worst streams. */
export const FULL_LISTING_MAX_STREAMS = 50;
/** Streams listed after the summary on a larger fleet, unless `--limit` says otherwise. */
export const DEFAULT_WORST_STREAMS = 20;
/** Streams read per query by `--json`. */
const JSON_BATCH = 1000;

export interface StatusCommandOptions {
  schema: string;
  json: boolean;
  filter?: StreamFilter;
  /** At most this many streams listed (`--limit`). */
  limit?: number;
  /** A line on the fleet's API budget (`readStatusBudget`), above the table; absent or null: none. */
  budget?: string | null;
}

/**
 * `nango-replicator status`. Up to {@link FULL_LISTING_MAX_STREAMS} matching streams: one line each (integration,
 * connection, model, state, rows, value errors standing now, last successful run, cursor age, last error). Above:
 * a summary by state and the worst streams (failing, then most behind their own period). `--json`: every matching
 * stream as a JSON array, written in batches as they are read (never all held at once).
 * Once the `detection: syncStatus` hints have read Nango's record count of a stream, its rows say `(Nango: N)`, with
 * `!` and a note after the table when the two differ by more than 1% (a hint).
 * `budget`: a line on the fleet's API budget, printed above the table (see `readStatusBudget`); the fleet's schedule
 * (within budget or budget-limited) follows it. Returns how many streams were listed.
 */
export async function statusCommand(
  db: Kysely<ReplicatorDatabase>,
  options: StatusCommandOptions,
  io: { stdout: NodeJS.WritableStream },
): Promise<number> {
  const filter = options.filter ?? {};
  if (options.json) return writeJson(db, options, io.stdout);
  const summary = await summarizeStreams(db, filter, { schema: options.schema });
  if (options.budget) io.stdout.write(`${options.budget}\n\n`);
  if (summary.total === 0) {
    const filtered = Object.keys(filter).length > 0;
    io.stdout.write(filtered ? 'No stream matches these filters.\n' : 'No streams yet: run `nango-replicator worker` or `sync`.\n');
    return 0;
  }
  const all = summary.total <= FULL_LISTING_MAX_STREAMS && options.limit === undefined;
  const limit = all ? undefined : (options.limit ?? DEFAULT_WORST_STREAMS);
  const streams = await listStreamStatus(db, { schema: options.schema, filter, order: all ? 'name' : 'worst', limit });
  const saved = all ? null : await requestsSavedPerMinute(db, filter);
  const head = all ? '' : `${describeSummary(summary, saved)}\n\n${worstHeading(streams.length, summary.total)}\n`;
  const schedule = describeFleetSchedule(await loadFleetSchedule(db));
  const scheduleNote = schedule === null ? '' : `\nSchedule: ${schedule}\n`;
  const notes = backfillNotes(streams) + historyNotes(streams) + pollingNotes(streams) + countNotes(streams) + scheduleNote;
  io.stdout.write(head + table(streams) + notes);
  return streams.length;
}

async function writeJson(db: Kysely<ReplicatorDatabase>, options: StatusCommandOptions, out: NodeJS.WritableStream): Promise<number> {
  let written = 0;
  let afterId: string | undefined;
  if (!(await writeOrWait(out, '['))) return 0;
  for (;;) {
    const room = options.limit === undefined ? JSON_BATCH : Math.min(JSON_BATCH, options.limit - written);
    if (room <= 0) break;
    const batch = await listStreamStatus(db, { schema: options.schema, filter: options.filter, order: 'key', limit: room, afterId });
    if (batch.length === 0) break;
    const text = batch.map((s, i) => `${written + i === 0 ? '\n' : ',\n'}${JSON.stringify(s)}`).join('');
    written += batch.length;
    afterId = batch[batch.length - 1]?.id;
    if (!(await writeOrWait(out, text))) return written;
  }
  await writeOrWait(out, written === 0 ? ']\n' : '\n]\n');
  return written;
}

/**
 * `30,000 streams: 29,812 fresh, 150 lagging, 30 failing, 8 never read. 12,345,678 rows.`, the worst lag, and a
 * polling line when any stream is budget-limited or not followed, or `requestsSaved` (a minute) is known.
 */
export function describeSummary(s: StreamSummary, requestsSaved: number | null = null): string {
  const lines = [
    `${formatCount(s.total)} streams: ${formatCount(s.fresh)} fresh, ${formatCount(s.lagging)} lagging, ` +
      `${formatCount(s.failing)} failing, ${formatCount(s.never)} never read. ${formatCount(s.liveRows)} rows.`,
  ];
  if (s.worstSecondsSinceSuccess !== null) lines.push(`Oldest last success: ${formatDuration(s.worstSecondsSinceSuccess * 1000)} ago.`);
  const polling = [
    ...(s.budgetLimited
      ? [`${formatCount(s.budgetLimited)} budget-limited (read less often than their period to fit the API budget)`]
      : []),
    ...(s.notFollowed ? [`${formatCount(s.notFollowed)} not followed (their connection deleted in Nango, or their variant gone)`] : []),
    ...(requestsSaved === null ? [] : [`adaptive polling saves ${formatCount(requestsSaved)} requests a minute`]),
  ];
  if (polling.length > 0) lines.push(`Polling: ${polling.join('; ')}.`);
  if (s.countsDiffer)
    lines.push(`Counts: ${formatCount(s.countsDiffer)} ${s.countsDiffer === 1 ? 'stream' : 'streams'} ${COUNTS_DIFFER_WORDING}.`);
  return lines.join('\n');
}

function worstHeading(shown: number, total: number): string {
  return (
    `The ${formatCount(shown)} worst of ${formatCount(total)} (failing, then most behind their period; ` +
    '--limit for more, --json for every stream):'
  );
}

/** Streams whose latest backfill was refused by the circuit breaker or failed: one line each, after the table. */
function backfillNotes(streams: ReadonlyArray<StreamStatus>): string {
  const lines = streams.flatMap((s) => {
    const last = s.lastBackfill;
    const stream = describeStream(s);
    if (last?.outcome === 'refused') return [`  ${stream}: replace backfill ${String(last.reason)}`];
    if (last?.outcome === 'failed') return [`  ${stream}: backfill failed: ${describeError(last.error as Record<string, unknown> | null)}`];
    return [];
  });
  return lines.length === 0 ? '' : `\nBackfills needing attention (until the stream's next backfill):\n${lines.join('\n')}\n`;
}

/** Models whose table keeps every version (history mode): one line each, with since when. */
function historyNotes(streams: ReadonlyArray<StreamStatus>): string {
  const since = new Map<string, Date>();
  for (const s of streams) if (s.historySince !== null) since.set(s.model, s.historySince);
  const lines = [...since].map(([model, at]) => `  ${model}: every version kept since ${at.toISOString()} (the rows as they stood then)`);
  return lines.length === 0 ? '' : `\nHistory mode:\n${lines.join('\n')}\n`;
}

/**
 * Streams read at another period than their `every` (idle, webhooks not arriving, budget-limited), or no longer read
 * (a variant gone): one line each.
 */
function pollingNotes(streams: ReadonlyArray<StreamStatus>): string {
  const lines = streams.flatMap((s) =>
    s.variantGone
      ? [`  ${describeStream(s)}: ${VARIANT_GONE_WORDING}`]
      : s.pollingReason === null
        ? []
        : [`  ${describeStream(s)}: ${s.pollingReason}`],
  );
  return lines.length === 0 ? '' : `\nPolling (webhooks pull at once; these are the safety-net reads):\n${lines.join('\n')}\n`;
}

/** Streams whose rows and Nango's count differ by more than 1%: one line each, with both counts. */
function countNotes(streams: ReadonlyArray<StreamStatus>): string {
  const lines = streams.flatMap((s) =>
    s.countsDiffer && s.nangoRecordCount !== null
      ? [
          `  ${s.providerConfigKey}/${s.connectionId}/${s.model}: ${formatCount(s.rows ?? 0)} rows here, Nango: ${formatCount(s.nangoRecordCount)}`,
        ]
      : [],
  );
  return lines.length === 0 ? '' : `\nRow counts that ${COUNTS_DIFFER_WORDING}:\n${lines.join('\n')}\n`;
}

function table(streams: ReadonlyArray<StreamStatus>): string {
  const rows = streams.map((s) => [
    s.providerConfigKey,
    s.connectionId,
    describeModel(s),
    s.state === 'never' ? 'never read' : s.state,
    rowsCell(s),
    formatCount(s.valueErrors),
    s.sinceLastSuccessMs === null ? 'never' : `${formatDuration(s.sinceLastSuccessMs)} ago`,
    s.cursorAgeMs === null ? '-' : formatDuration(s.cursorAgeMs),
    describeError(s.lastError),
  ]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: ReadonlyArray<string>) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(HEADERS), ...rows.map(line)].join('\n')}\n`;
}

/** The live rows, then `(Nango: N)` once Nango's count was read, and `!` when the two differ by more than 1%. */
function rowsCell(s: StreamStatus): string {
  const rows = s.rows === null ? '-' : formatCount(s.rows);
  if (s.nangoRecordCount === null) return rows;
  return `${rows} (Nango: ${formatCount(s.nangoRecordCount)}${s.countsDiffer ? ' !' : ''})`;
}

/** `code: message` on one line, shortened; a failure that will be retried says so. */
function describeError(error: Record<string, unknown> | null): string {
  if (error === null) return '-';
  const text = `${String(error.code ?? 'error')}: ${String(error.message ?? '')}`.replace(/\s+/g, ' ');
  const retrying = error.willRetry === true ? ' (retrying)' : '';
  const room = ERROR_WIDTH - retrying.length;
  return `${text.length > room ? `${text.slice(0, room - 3)}...` : text}${retrying}`;
}
