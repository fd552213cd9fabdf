import { COUNTS_DIFFER_WORDING } from '../store/counts-differ-sql.js';
import { VARIANT_GONE_WORDING } from '../store/variant-gone-sql.js';
import { escapeHtml } from './escape-html.js';
import { describeModel, describeStream } from '../stream/stream-key.js';
import { formatCount } from '../util/format-count.js';
import { formatDuration } from './format-duration.js';
import type { StatusRow, StatusRun } from './load-status-rows.js';
import { renderLastBackfill } from './render-last-backfill.js';
import { renderSparkline } from './render-sparkline.js';
import { renderTime as time } from './render-time.js';

const MAX_ERROR_CHARS = 240;

/** One `<tr class="stream">` of the status table. Every value is escaped. */
export function renderStreamRow(row: StatusRow, now: Date): string {
  const { stream, state } = row;
  const cells = [
    `<td class="integration">${escapeHtml(stream.providerConfigKey)}</td>`,
    `<td class="connection">${escapeHtml(stream.connectionId)}</td>`,
    `<td class="model">${escapeHtml(describeModel(stream))}${row.variantGone === true ? `<br><small class="not-followed" title="${escapeHtml(VARIANT_GONE_WORDING)}">not followed (variant gone)</small>` : ''}</td>`,
    `<td class="state"><span class="badge ${state}" title="${escapeHtml(`judged against its period of ${formatDuration(row.periodMs / 1000)}`)}">${state === 'never' ? 'never read' : state}</span></td>`,
    `<td class="rows num">${row.rows === null ? '<span class="none">no table</span>' : formatCount(row.rows)}${nangoCount(row)}</td>`,
    `<td class="value-errors num">${valueErrors(row.valueErrors)}</td>`,
    `<td class="freshness">${row.freshnessLagSeconds === null ? '<span class="none">no records</span>' : `${formatDuration(row.freshnessLagSeconds)} behind`}</td>`,
    `<td class="last-success">${row.lastSuccessAt === null || row.secondsSinceLastSuccess === null ? '<span class="none">never</span>' : `${time(row.lastSuccessAt, `${formatDuration(row.secondsSinceLastSuccess)} ago`)}`}</td>`,
    `<td class="last-run">${row.lastRun === null ? '<span class="none">none</span>' : lastRun(row.lastRun, now)}</td>`,
    `<td class="last-error">${row.lastError === null ? '' : lastError(row.lastError)}</td>`,
    `<td class="last-backfill">${renderLastBackfill(row.lastBackfill, now)}</td>`,
    `<td class="activity">${renderSparkline(row.recordsPerHour)}</td>`,
  ];
  const id = describeStream(stream);
  return `<tr class="stream ${state}" data-stream="${escapeHtml(id)}">${cells.join('')}</tr>`;
}

/** Nango's own count under the rows once it was read, flagged when the two differ by more than 1%. */
function nangoCount(row: StatusRow): string {
  if (row.nangoRecordCount === null) return '';
  const count = `<br><small class="nango-count">Nango: ${escapeHtml(formatCount(row.nangoRecordCount))}</small>`;
  if (!row.countsDiffer) return count;
  return `${count}<br><span class="counts-differ" title="${escapeHtml(`The counts ${COUNTS_DIFFER_WORDING}`)}">${escapeHtml('≠ Nango, a hint')}</span>`;
}

/** The count; when some stand, where to read them (the table name is a constant, escaped all the same). */
function valueErrors(count: number): string {
  if (count === 0) return '0';
  const where = 'nango_replicator.value_errors';
  const title = `Values that did not fit their column: NULL there, intact in _nango_raw; one row each in ${where}`;
  return `<span class="some" title="${escapeHtml(title)}">${escapeHtml(formatCount(count))}</span><br><small>see <code>${escapeHtml(where)}</code></small>`;
}

function lastRun(run: StatusRun, now: Date): string {
  const ago = formatDuration((now.getTime() - run.startedAt.getTime()) / 1000);
  const took =
    run.status === 'abandoned'
      ? 'its process stopped without finishing it'
      : run.finishedAt === null
        ? 'running'
        : `took ${formatDuration((run.finishedAt.getTime() - run.startedAt.getTime()) / 1000)}`;
  return `<span class="run ${escapeHtml(run.status)}">${escapeHtml(run.kind)} ${escapeHtml(run.status)}</span> ${time(run.startedAt, `${ago} ago`)}<br><small>${took}, ${formatCount(run.records)} records</small>`;
}

function lastError(error: Record<string, unknown>): string {
  const code = typeof error.code === 'string' ? error.code : typeof error.type === 'string' ? error.type : 'error';
  const message = typeof error.message === 'string' ? error.message : typeof error.description === 'string' ? error.description : '';
  const short = message.length > MAX_ERROR_CHARS ? `${message.slice(0, MAX_ERROR_CHARS)}…` : message;
  return `<code>${escapeHtml(code)}</code><br><span class="message" title="${escapeHtml(message)}">${escapeHtml(short)}</span>`;
}
