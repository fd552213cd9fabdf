import type { Kysely } from 'kysely';
import { describeFleetSchedule } from '../schedule/describe-fleet-schedule.js';
import { loadFleetSchedule } from '../schedule/plan-fleet-schedule.js';
import { listStreamStatus, type StreamStatus } from '../store/list-stream-status.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import { formatCount } from '../util/format-count.js';
import { formatDuration } from './format.js';

const HEADERS = ['INTEGRATION', 'CONNECTION', 'MODEL', 'ROWS', 'VALUE ERRORS', 'LAST SUCCESS', 'CURSOR AGE', 'LAST ERROR'] as const;
const ERROR_WIDTH = 100;

/**
 * `nango-replicator status`: one line per stream (integration, connection, model, rows, value errors standing now,
 * last successful run, cursor age, last error), or with `--json` an array of objects with the same facts and more.
 * `budget`: a line on the fleet's API budget, printed above the table (see `readStatusBudget`).
 */
export async function statusCommand(
  db: Kysely<ReplicatorDatabase>,
  options: { schema: string; json: boolean; budget?: string | null },
  io: { stdout: NodeJS.WritableStream },
): Promise<StreamStatus[]> {
  const streams = await listStreamStatus(db, { schema: options.schema });
  const schedule = describeFleetSchedule(await loadFleetSchedule(db));
  if (!options.json && options.budget) io.stdout.write(`${options.budget}\n\n`);
  if (options.json) io.stdout.write(`${JSON.stringify(streams, null, 2)}\n`);
  else io.stdout.write(streams.length === 0 ? 'No streams yet: run `nango-replicator worker` or `sync`.\n' : table(streams) + backfillNotes(streams) + historyNotes(streams) + pollingNotes(streams) + (schedule === null ? '' : `\nSchedule: ${schedule}\n`));
  return streams;
}

/** Streams whose latest backfill was refused by the circuit breaker or failed: one line each, after the table. */
function backfillNotes(streams: ReadonlyArray<StreamStatus>): string {
  const lines = streams.flatMap((s) => {
    const last = s.lastBackfill;
    const stream = `${s.providerConfigKey}/${s.connectionId}/${s.model}`;
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

/** Streams read at another period than their `every` (idle, webhooks not arriving, budget-limited): one line each. */
function pollingNotes(streams: ReadonlyArray<StreamStatus>): string {
  const lines = streams.flatMap((s) => (s.pollingReason === null ? [] : [`  ${s.providerConfigKey}/${s.connectionId}/${s.model}: ${s.pollingReason}`]));
  return lines.length === 0 ? '' : `\nPolling (webhooks pull at once; these are the safety-net reads):\n${lines.join('\n')}\n`;
}

function table(streams: ReadonlyArray<StreamStatus>): string {
  const rows = streams.map((s) => [
    s.providerConfigKey,
    s.connectionId,
    s.model,
    s.rows === null ? '-' : formatCount(s.rows),
    formatCount(s.valueErrors),
    s.lastSuccessAt === null ? 'never' : `${formatDuration(Date.now() - s.lastSuccessAt.getTime())} ago`,
    s.cursorAgeMs === null ? '-' : formatDuration(s.cursorAgeMs),
    describeError(s.lastError),
  ]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: ReadonlyArray<string>) =>
    cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return `${[line(HEADERS), ...rows.map(line)].join('\n')}\n`;
}

/** `code: message` on one line, shortened; a failure that will be retried says so. */
function describeError(error: Record<string, unknown> | null): string {
  if (error === null) return '-';
  const text = `${String(error.code ?? 'error')}: ${String(error.message ?? '')}`.replace(/\s+/g, ' ');
  const retrying = error.willRetry === true ? ' (retrying)' : '';
  const room = ERROR_WIDTH - retrying.length;
  return `${text.length > room ? `${text.slice(0, room - 3)}...` : text}${retrying}`;
}
