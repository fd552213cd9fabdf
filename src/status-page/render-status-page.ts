import { escapeHtml } from './escape-html.js';
import type { StatusRow } from './load-status-rows.js';
import { type ApiBudget, renderApiBudget } from './render-api-budget.js';
import { renderStreamRow } from './render-stream-row.js';
import { type StreamState, streamState } from './stream-state.js';

export interface StatusPageOptions {
  /** The instant the page describes. Default: now. */
  now?: Date;
  /** A stream whose last success is older than this is `stale`, seconds. Default 3600. */
  staleAfterSeconds?: number;
  /** Shown in the heading and the title. Default `nango-replicator`. */
  title?: string;
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
td.value-errors .some { color: var(--warn); font-weight: 600; } td.value-errors small { white-space: nowrap; }
td.state, td.rows, td.freshness, td.last-success, td.last-run small { white-space: nowrap; }
td.last-backfill { max-width: 300px; overflow-wrap: break-word; } td.last-backfill code { font-size: 12px; }
td.connection, td.model { overflow-wrap: break-word; max-width: 280px; }
td.last-error { min-width: 200px; max-width: 340px; color: var(--bad); overflow-wrap: break-word; } td.last-error code { font-size: 12px; }
.sparkline .bar { fill: #0969da; } .sparkline .axis { stroke: var(--line); }
footer { margin-top: 16px; color: var(--muted); font-size: 12px; }
`;

/**
 * The status page as one self-contained HTML document: no script, no external asset, every value escaped.
 * One `<tr class="stream">` per stream, in the order given.
 */
export function renderStatusPage(rows: ReadonlyArray<StatusRow>, budget: ApiBudget | null, options: StatusPageOptions = {}): string {
  const now = options.now ?? new Date();
  const title = options.title ?? 'nango-replicator';
  const staleAfter = options.staleAfterSeconds ?? 3600;
  const states = rows.map((row) => streamState(row, staleAfter));
  const body =
    rows.length === 0
      ? '<tr class="empty"><td colspan="12" class="none">No streams yet: they appear after their first sync.</td></tr>'
      : rows.map((row, i) => renderStreamRow(row, states[i] ?? 'never', now)).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} status</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="summary">${escapeHtml(summary(states))}</p>
${renderApiBudget(budget, now)}
<table class="streams">
<thead><tr><th>Integration</th><th>Connection</th><th>Model</th><th>State</th>
<th>Rows</th><th>Value errors</th><th>Freshness</th><th>Last success</th>
<th>Last run</th><th>Last error</th><th>Last backfill</th><th>Records / hour, 24 h</th></tr></thead>
<tbody>
${body}
</tbody>
</table>
<footer>Rendered at <time datetime="${now.toISOString()}">${now.toISOString()}</time>.
Stale after ${Math.round(staleAfter / 60)} min without a successful run.</footer>
</body>
</html>
`;
}

function summary(states: ReadonlyArray<StreamState>): string {
  const count = (state: StreamState) => states.filter((s) => s === state).length;
  const parts = [`${states.length} stream${states.length === 1 ? '' : 's'}`];
  for (const state of ['fresh', 'stale', 'failing', 'running', 'never'] as const) {
    if (count(state) > 0) parts.push(`${count(state)} ${state}`);
  }
  return parts.join(' · ');
}
