import { escapeHtml } from './escape-html.js';
import type { StatusRow } from './load-status-rows.js';
import { type ApiBudget, renderApiBudget } from './render-api-budget.js';
import { renderStreamRow } from './render-stream-row.js';
import { AUTO_REFRESH_SECONDS, STATUS_PAGE_SIZE, type StatusPageQuery, statusPageHref } from './status-page-query.js';
import { STREAM_STATES, type StreamFilter } from '../store/stream-filter.js';
import type { StreamSummary } from '../store/summarize-streams.js';
import { formatCount } from '../util/format-count.js';
import { formatDuration } from './format-duration.js';

export interface StatusPageOptions {
  /** The instant the page describes. Default: now. */
  now?: Date;
  /** Shown in the heading and the title. Default `nango-replicator`. */
  title?: string;
  /** Streams by state over the whole fleet (or the filter); default: counted from the rows given. */
  summary?: StreamSummary;
  /** What the URL asked for; default: no filter, page 1, auto-refresh on. */
  query?: StatusPageQuery;
  /** Streams matching the filter (for paging); default: the rows given. */
  matching?: number;
  /** Integrations and models known, offered as suggestions in the filter form (small lists). */
  suggestions?: { integrations: ReadonlyArray<string>; models: ReadonlyArray<string> };
  /** GET requests a minute adaptive polling saves (see `requestsSavedPerMinute`); absent or null: not shown. */
  requestsSavedPerMinute?: number | null;
}

const STYLE = `
:root { color-scheme: light; --ok:#1a7f37; --warn:#9a6700; --bad:#cf222e; --muted:#6e7781; --line:#d0d7de; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px; color: #1f2328; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 14px; margin: 0 0 6px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.summary { margin: 0 0 16px; color: var(--muted); }
.budget { margin: 0 0 20px; max-width: 640px; }
.meter { position: relative; height: 10px; background: #eaeef2; border-radius: 5px; overflow: hidden; }
.meter .used { position: absolute; inset: 0 auto 0 0; background: #0969da; }
.meter .share { position: absolute; top: 0; bottom: 0; width: 2px; background: var(--bad); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.none { color: var(--muted); }
.badge {
  display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; background: var(--muted);
}
.badge.fresh { background: var(--ok); } .badge.stale { background: var(--warn); }
.badge.failing { background: var(--bad); } .badge.running { background: #0969da; }
.run.failed, .run.abandoned, .backfill.failed, .backfill.refused { color: var(--bad); }
.run.superseded { color: var(--muted); } small { color: var(--muted); }
td.rows .counts-differ { color: var(--warn); font-weight: 600; white-space: nowrap; }
td.value-errors .some { color: var(--warn); font-weight: 600; } td.value-errors small { white-space: nowrap; }
td.state, td.rows, td.freshness, td.last-success, td.last-run small { white-space: nowrap; }
td.last-backfill { max-width: 300px; overflow-wrap: break-word; } td.last-backfill code { font-size: 12px; }
td.connection, td.model { overflow-wrap: break-word; max-width: 280px; }
td.last-error { min-width: 200px; max-width: 340px; color: var(--bad); overflow-wrap: break-word; } td.last-error code { font-size: 12px; }
.sparkline .bar { fill: #0969da; } .sparkline .axis { stroke: var(--line); }
footer { margin-top: 16px; color: var(--muted); font-size: 12px; }
.states { display: flex; flex-wrap: wrap; gap: 8px; margin: 0 0 16px; padding: 0; list-style: none; }
.states a, .states span {
  display: block; padding: 6px 12px; border: 1px solid var(--line); border-radius: 6px; color: inherit; text-decoration: none;
}
.states a.active { border-color: #0969da; } .states strong { display: block; font-size: 18px; }
.states .failing strong { color: var(--bad); } .states .lagging strong { color: var(--warn); } .states .fresh strong { color: var(--ok); }
form.filters { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; margin: 0 0 12px; }
form.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
form.filters input, form.filters select { font: inherit; padding: 3px 6px; }
nav.pages { margin: 10px 0; display: flex; gap: 12px; align-items: center; }
.badge.lagging { background: var(--warn); } .badge.never { background: var(--muted); }
`;

/**
 * The status page as one self-contained HTML document: no script, no external asset, every value escaped. A summary
 * of the fleet by state (each a link that filters), the API budget, a filter form, then one `<tr class="stream">`
 * per row given (the worst streams first, one page of them) and links to the other pages. It reloads itself every
 * {@link AUTO_REFRESH_SECONDS} s with `<meta http-equiv="refresh">` unless the URL says `refresh=off`.
 */
export function renderStatusPage(rows: ReadonlyArray<StatusRow>, budget: ApiBudget | null, options: StatusPageOptions = {}): string {
  const now = options.now ?? new Date();
  const title = options.title ?? 'nango-replicator';
  const query = options.query ?? { filter: {}, page: 1, refresh: true };
  const summary = options.summary ?? summaryOf(rows);
  const matching = options.matching ?? rows.length;
  const body =
    rows.length === 0
      ? `<tr class="empty"><td colspan="12" class="none">${summary.total === 0 && Object.keys(query.filter).length === 0 ? 'No streams yet: they appear after their first sync.' : 'No stream matches these filters.'}</td></tr>`
      : rows.map((row) => renderStreamRow(row, now)).join('\n');
  const refresh = query.refresh ? `<meta http-equiv="refresh" content="${AUTO_REFRESH_SECONDS}">\n` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${refresh}<title>${escapeHtml(title)} status</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${renderSummary(summary, query, options.requestsSavedPerMinute)}
${renderApiBudget(budget, now)}
${renderFilters(query, options.suggestions)}
${renderPages(query, matching, rows.length)}
<table class="streams">
<thead><tr><th>Integration</th><th>Connection</th><th>Model</th><th>State</th>
<th>Rows</th><th>Value errors</th><th>Freshness</th><th>Last success</th>
<th>Last run</th><th>Last error</th><th>Last backfill</th><th>Records / hour, 24 h</th></tr></thead>
<tbody>
${body}
</tbody>
</table>
${renderPages(query, matching, rows.length)}
<footer>Rendered at <time datetime="${now.toISOString()}">${now.toISOString()}</time>.
${query.refresh ? `Reloads every ${AUTO_REFRESH_SECONDS} s (<a href="${escapeHtml(statusPageHref(query, { refresh: false }))}">stop</a>).` : `<a href="${escapeHtml(statusPageHref(query, { refresh: true }))}">Reload every ${AUTO_REFRESH_SECONDS} s</a>.`}
A stream is lagging after two of its own periods without a successful run; row counts are kept per stream by the writes.</footer>
</body>
</html>
`;
}

/** Streams by state, each a link to the streams in that state; then what adaptive polling saved, when known. */
function renderSummary(summary: StreamSummary, query: StatusPageQuery, saved: number | null | undefined): string {
  // null: a count with no filter of its own (budget-limited, not followed), shown without a link.
  const states: Array<[string, number | undefined, StreamFilter['state'] | null]> = [
    ['streams', summary.total, undefined],
    ['failing', summary.failing, 'failing'],
    ['lagging', summary.lagging, 'lagging'],
    ['budget-limited', summary.budgetLimited, null],
    ['not followed', summary.notFollowed, null],
    ['counts differ from Nango', summary.countsDiffer || undefined, null],
    ['never read', summary.never, 'never'],
    ['fresh', summary.fresh, 'fresh'],
  ];
  const items = states
    .filter(([, count]) => count !== undefined)
    .map(([label, count, state]) => {
      const cls = escapeHtml(label.replace(/ /g, '-'));
      const text = `<strong>${formatCount(count ?? 0)}</strong>${escapeHtml(label)}`;
      if (state === null) return `<li class="${cls}"><span class="${cls}">${text}</span></li>`;
      const href = statusPageHref(query, { filter: { ...query.filter, state }, page: 1 });
      const active = query.filter.state === state ? ' active' : '';
      return `<li class="${cls}"><a class="${cls}${active}" href="${escapeHtml(href)}">${text}</a></li>`;
    });
  const worst =
    summary.worstSecondsSinceSuccess === null ? '' : ` Oldest last success ${formatDuration(summary.worstSecondsSinceSuccess)} ago.`;
  const savedText =
    saved === undefined || saved === null ? '' : ` Adaptive polling saves ${formatCount(Math.round(saved))} requests a minute.`;
  return `<section class="summary-states"><h2>Streams</h2><ul class="states">${items.join('')}</ul>
<p class="summary">${escapeHtml(`${formatCount(summary.liveRows)} rows in all.${worst}${savedText}`)}</p></section>`;
}

function renderFilters(query: StatusPageQuery, suggestions: StatusPageOptions['suggestions']): string {
  const f = query.filter;
  const input = (name: string, label: string, value: string | undefined, list?: string) =>
    `<label>${escapeHtml(label)}<input type="search" name="${name}" value="${escapeHtml(value ?? '')}"${list === undefined ? '' : ` list="${list}"`}></label>`;
  const options = (id: string, values: ReadonlyArray<string> | undefined) =>
    `<datalist id="${id}">${(values ?? []).map((v) => `<option value="${escapeHtml(v)}">`).join('')}</datalist>`;
  const stateOptions = ['', ...STREAM_STATES]
    .map(
      (s) =>
        `<option value="${s}"${(f.state ?? '') === s ? ' selected' : ''}>${s === '' ? 'any' : s === 'never' ? 'never read' : s}</option>`,
    )
    .join('');
  return `<form class="filters" method="get" action="">
${input('q', 'Search', f.search)}${input('integration', 'Integration', f.integration, 'integrations')}
${input('connection', 'Connection', f.connection)}${input('model', 'Model', f.model, 'models')}
<label>State<select name="state">${stateOptions}</select></label>${query.refresh ? '' : '<input type="hidden" name="refresh" value="off">'}
<button type="submit">Filter</button> <a href="${escapeHtml(statusPageHref({ filter: {}, page: 1, refresh: query.refresh }))}">clear</a>
${options('integrations', suggestions?.integrations)}${options('models', suggestions?.models)}
</form>`;
}

function renderPages(query: StatusPageQuery, matching: number, shown: number): string {
  const pages = Math.max(1, Math.ceil(matching / STATUS_PAGE_SIZE));
  const first = matching === 0 ? 0 : (query.page - 1) * STATUS_PAGE_SIZE + 1;
  const last = (query.page - 1) * STATUS_PAGE_SIZE + shown;
  const link = (page: number, text: string) =>
    page < 1 || page > pages || page === query.page
      ? `<span class="none">${text}</span>`
      : `<a href="${escapeHtml(statusPageHref(query, { page }))}">${text}</a>`;
  return `<nav class="pages">${link(1, '« first')}${link(query.page - 1, '‹ previous')}<span>Worst first: ${formatCount(first)}–${formatCount(last)} of ${formatCount(matching)} (page ${formatCount(query.page)} of ${formatCount(pages)})</span>${link(query.page + 1, 'next ›')}${link(pages, 'last »')}</nav>`;
}

/** Counts by state of the rows given, for a page rendered without a fleet summary. */
function summaryOf(rows: ReadonlyArray<StatusRow>): StreamSummary {
  const count = (state: StatusRow['state']) => rows.filter((r) => r.state === state).length;
  const since = rows.map((r) => r.secondsSinceLastSuccess).filter((s): s is number => s !== null);
  const lags = rows.map((r) => r.freshnessLagSeconds).filter((s): s is number => s !== null);
  return {
    total: rows.length,
    fresh: count('fresh'),
    lagging: count('lagging'),
    failing: count('failing'),
    never: count('never'),
    worstSecondsSinceSuccess: since.length === 0 ? null : Math.max(...since),
    worstFreshnessLagSeconds: lags.length === 0 ? null : Math.max(...lags),
    liveRows: rows.reduce((sum, r) => sum + (r.rows ?? 0), 0),
  };
}
