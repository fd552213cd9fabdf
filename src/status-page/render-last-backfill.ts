import { escapeHtml } from './escape-html.js';
import { formatCount } from '../util/format-count.js';
import { formatDuration } from './format-duration.js';
import { renderTime } from './render-time.js';

const MAX_REASON_CHARS = 160;

/**
 * The content of a stream's "Last backfill" cell: when its latest backfill ended, its mode and outcome (`merged`,
 * `replaced`, `refused` by the circuit breaker, `failed`) and what it did to the rows, from `streams.last_backfill`
 * as `recordBackfillOutcome` stored it. Every value is escaped: the stored facts include messages from Nango.
 */
export function renderLastBackfill(last: Record<string, unknown> | null, now: Date): string {
  if (last === null) return '<span class="none">none</span>';
  const outcome = typeof last.outcome === 'string' ? last.outcome : 'unknown';
  const mode = typeof last.mode === 'string' ? last.mode : 'backfill';
  const at = typeof last.at === 'string' ? new Date(last.at) : null;
  const when =
    at === null || Number.isNaN(at.getTime()) ? '' : ` ${renderTime(at, `${formatDuration((now.getTime() - at.getTime()) / 1000)} ago`)}`;
  return `<span class="backfill ${escapeHtml(outcome)}">${escapeHtml(headline(mode, outcome))}</span>${when}<br><small>${details(outcome, last)}</small>`;
}

/** `merge backfill done`, `replace backfill refused`, `merge backfill failed`: the mode, then how it ended. */
function headline(mode: string, outcome: string): string {
  const ended = outcome === 'merged' || outcome === 'replaced' ? 'done' : outcome;
  return `${mode === 'backfill' ? mode : `${mode} backfill`} ${ended}`;
}

/** What the backfill did to the rows, or why it did not finish. */
function details(outcome: string, last: Record<string, unknown>): string {
  if (outcome === 'failed') {
    const error = (last.error ?? {}) as Record<string, unknown>;
    const message = typeof error.message === 'string' ? error.message : '';
    return `<code>${escapeHtml(String(error.code ?? 'error'))}</code> <span class="message" title="${escapeHtml(message)}">${escapeHtml(shorten(message))}</span>`;
  }
  const parts = [`${count(last.records)} records read`, `${count(last.upserted)} upserted`];
  if (outcome === 'replaced') parts.push(`${count(last.unseenDeleted)} deleted as unseen`);
  if (outcome === 'refused') {
    const reason = typeof last.reason === 'string' ? last.reason : '';
    parts.push(
      `<span class="message" title="${escapeHtml(reason)}">refused to delete ${count(last.wouldDelete)} of ${count(last.liveRows)} rows</span>`,
    );
  }
  return parts.join(', ');
}

function count(value: unknown): string {
  return typeof value === 'number' && Number.isFinite(value) ? formatCount(value) : '?';
}

function shorten(text: string): string {
  return text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS)}…` : text;
}
