import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { escapeHtml } from '../../src/status-page/escape-html.js';
import { formatDuration } from '../../src/status-page/format-duration.js';
import type { StatusRow } from '../../src/status-page/load-status-rows.js';
import { renderSparkline } from '../../src/status-page/render-sparkline.js';
import { renderStatusPage } from '../../src/status-page/render-status-page.js';

const NOW = new Date('2026-11-26T12:00:00.000Z');
const hours = (last: number) => [...new Array<number>(23).fill(0), last];

function row(overrides: Partial<StatusRow> = {}): StatusRow {
  return {
    stream: { providerConfigKey: 'github', connectionId: 'acme', model: 'Issue' },
    rows: 1234,
    freshnessLagSeconds: 90,
    lastSuccessAt: new Date(NOW.getTime() - 60_000),
    secondsSinceLastSuccess: 60,
    lastRun: { kind: 'sync', status: 'succeeded', startedAt: new Date(NOW.getTime() - 65_000), finishedAt: new Date(NOW.getTime() - 60_000), records: 40 },
    lastError: null,
    recordsPerHour: hours(40),
    ...overrides,
  };
}

const streamRows = (html: string) => html.match(/<tr class="stream /g)?.length ?? 0;

describe('status page rendering', () => {
  test('one row per stream, with its rows, freshness, last run and state', () => {
    const html = renderStatusPage([row(), row({ stream: { providerConfigKey: 'github', connectionId: 'globex', model: 'Issue' } })], null, { now: NOW });
    assert.equal(streamRows(html), 2);
    assert.match(html, /<td class="rows num">1,234<\/td>/);
    assert.match(html, /1 min behind/);
    assert.match(html, /sync succeeded/);
    assert.match(html, /<span class="badge fresh">fresh<\/span>/);
    assert.match(html, /2 streams · 2 fresh/);
  });

  test('names and errors from Nango are escaped: markup in them cannot add rows, cells or scripts', () => {
    const evil = '</td></tr><tr class="stream x"><td><script>alert(1)</script>';
    const html = renderStatusPage(
      [row({ stream: { providerConfigKey: evil, connectionId: `"' onmouseover=x`, model: '<img src=x>' }, lastError: { code: 'script_error', message: evil } })],
      null,
      { now: NOW, title: '<b>t</b>' },
    );
    assert.equal(streamRows(html), 1);
    assert.doesNotMatch(html, /<script>|<img src|<b>t/);
    assert.match(html, /&lt;\/td&gt;&lt;\/tr&gt;/);
    assert.match(html, /data-stream="&lt;\/td&gt;/);
    assert.equal(escapeHtml(`&<>"'`), '&amp;&lt;&gt;&quot;&#39;');
  });

  test('a stream with an error is failing, one without a recent success stale, one never run never', () => {
    const html = renderStatusPage(
      [
        row({ lastError: { code: 'nango_unauthorized', message: 'The secret key was refused' } }),
        row({ secondsSinceLastSuccess: 7200 }),
        row({ lastSuccessAt: null, secondsSinceLastSuccess: null, lastRun: null, rows: null, freshnessLagSeconds: null }),
      ],
      null,
      { now: NOW, staleAfterSeconds: 3600 },
    );
    assert.match(html, /<tr class="stream failing"/);
    assert.match(html, /<code>nango_unauthorized<\/code><br><span class="message" title="The secret key was refused">/);
    assert.match(html, /<tr class="stream stale"/);
    assert.match(html, /<tr class="stream never"/);
    assert.match(html, /no table/);
  });

  test('a run whose process stopped without finishing it shows as abandoned, not with how long it took', () => {
    const abandoned = { kind: 'sync', status: 'abandoned' as const, startedAt: new Date(NOW.getTime() - 600_000), finishedAt: NOW, records: 75 };
    const html = renderStatusPage(
      [row({ lastRun: abandoned, lastError: { code: 'run_abandoned', message: 'The process running this run stopped without finishing it' } })],
      null,
      { now: NOW },
    );
    assert.match(html, /<span class="run abandoned">sync abandoned<\/span>/);
    assert.match(html, /its process stopped without finishing it, 75 records/);
    assert.doesNotMatch(html, /took 10 min/);
    assert.match(html, /<code>run_abandoned<\/code>/);
  });

  test('no streams: the page says so instead of an empty table', () => {
    const html = renderStatusPage([], null, { now: NOW });
    assert.equal(streamRows(html), 0);
    assert.match(html, /No streams yet/);
  });

  test('the API budget shows the account usage in its window and the replicator share', () => {
    const budget = { accountLimit: 1000, remaining: 750, resetsAt: new Date(NOW.getTime() + 20_000), share: 0.9 };
    const html = renderStatusPage([row()], budget, { now: NOW });
    assert.match(html, /1,000 requests\/min for the account; the replicator may spend 90% \(900\/min, red mark\)\. 250 of 1,000 used in the current window \(25%\), resets in 20 s\./);
    assert.match(html, /<span class="used" style="width:25.0%">/);
    const over = renderStatusPage([row()], { ...budget, resetsAt: new Date(NOW.getTime() - 1000) }, { now: NOW });
    assert.match(over, /no request seen in the current window/);
    assert.match(renderStatusPage([row()], null, { now: NOW }), /No response from Nango seen yet/);
  });

  test('the sparkline has one bar per hour scaled to the busiest, with counts in tooltips', () => {
    const svg = renderSparkline([0, 5, 10, ...new Array<number>(21).fill(0)]);
    assert.equal(svg.match(/<rect /g)?.length, 24);
    assert.match(svg, /y="0" width="5" height="24"><title>10 records, 21-22 h ago/);
    assert.match(svg, /height="12"><title>5 records/);
    assert.match(svg, /aria-label="15 records in the last 24 h"/);
  });

  test('durations read as people say them', () => {
    assert.deepEqual([45, 600, 3_900, 200_000, -5].map(formatDuration), ['45 s', '10 min', '1 h 05 min', '2 d 7 h', '0 s']);
  });
});
