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
    stream: { providerConfigKey: 'github', connectionId: 'acme', model: 'Issue', variant: 'base' },
    state: 'fresh',
    periodMs: 3_600_000,
    rows: 1234,
    nangoRecordCount: null,
    countsDiffer: false,
    valueErrors: 0,
    freshnessLagSeconds: 90,
    lastSuccessAt: new Date(NOW.getTime() - 60_000),
    secondsSinceLastSuccess: 60,
    lastRun: {
      kind: 'sync',
      status: 'succeeded',
      startedAt: new Date(NOW.getTime() - 65_000),
      finishedAt: new Date(NOW.getTime() - 60_000),
      records: 40,
    },
    lastError: null,
    lastBackfill: null,
    recordsPerHour: hours(40),
    ...overrides,
  };
}

const streamRows = (html: string) => html.match(/<tr class="stream /g)?.length ?? 0;

describe('status page rendering', () => {
  test('one row per stream, with its rows, freshness, last run and state', () => {
    const html = renderStatusPage(
      [row(), row({ stream: { providerConfigKey: 'github', connectionId: 'globex', model: 'Issue', variant: 'base' } })],
      null,
      {
        now: NOW,
      },
    );
    assert.equal(streamRows(html), 2);
    assert.match(html, /<td class="rows num">1,234<\/td>/);
    assert.match(html, /1 min behind/);
    assert.match(html, /sync succeeded/);
    assert.match(html, /<span class="badge fresh" title="judged against its period of 1 h 00 min">fresh<\/span>/);
    assert.match(html, /<strong>2<\/strong>streams/);
    assert.match(html, /<a class="fresh" href="\?state=fresh"><strong>2<\/strong>fresh<\/a>/);
  });

  test("Nango's record count shows under the rows once read, flagged as a hint only when it differs by more than 1%", () => {
    const rowsCell = (r: StatusRow) => /<td class="rows num">(.*?)<\/td>/.exec(renderStatusPage([r], null, { now: NOW }))?.[1] ?? '';
    assert.equal(rowsCell(row()), '1,234', 'never read: nothing extra');
    const same = rowsCell(row({ nangoRecordCount: 1240, countsDiffer: false }));
    assert.match(same, /Nango: 1,240/);
    assert.doesNotMatch(same, /counts-differ/);
    const differ = rowsCell(row({ nangoRecordCount: 1500, countsDiffer: true }));
    assert.match(differ, /Nango: 1,500/);
    assert.match(differ, /<span class="counts-differ" title="The counts differ from Nango&#39;s record count by more than 1% \(a hint/);
  });

  test('names and errors from Nango are escaped: markup in them cannot add rows, cells or scripts', () => {
    const evil = '</td></tr><tr class="stream x"><td><script>alert(1)</script>';
    const html = renderStatusPage(
      [
        row({
          stream: { providerConfigKey: evil, connectionId: `"' onmouseover=x`, model: '<img src=x>', variant: 'base' },
          lastError: { code: 'script_error', message: evil },
        }),
      ],
      null,
      { now: NOW, title: '<b>t</b>' },
    );
    assert.equal(streamRows(html), 1);
    assert.doesNotMatch(html, /<script>|<img src|<b>t/);
    assert.match(html, /&lt;\/td&gt;&lt;\/tr&gt;/);
    assert.match(html, /data-stream="&lt;\/td&gt;/);
    assert.equal(escapeHtml(`&<>"'`), '&amp;&lt;&gt;&quot;&#39;');
  });

  test('each row shows its state: failing with its error, lagging, never read', () => {
    const html = renderStatusPage(
      [
        row({ state: 'failing', lastError: { code: 'nango_unauthorized', message: 'The secret key was refused' } }),
        row({ state: 'lagging', secondsSinceLastSuccess: 7200 }),
        row({ state: 'never', lastSuccessAt: null, secondsSinceLastSuccess: null, lastRun: null, rows: null, freshnessLagSeconds: null }),
      ],
      null,
      { now: NOW },
    );
    assert.match(html, /<tr class="stream failing"/);
    assert.match(html, /<code>nango_unauthorized<\/code><br><span class="message" title="The secret key was refused">/);
    assert.match(html, /<tr class="stream lagging"/);
    assert.match(html, /<tr class="stream never"/);
    assert.match(html, /<span class="badge never" title="judged against its period of 1 h 00 min">never read<\/span>/);
    assert.match(html, /no table/);
  });

  test('a run whose process stopped without finishing it shows as abandoned, not with how long it took', () => {
    const abandoned = {
      kind: 'sync',
      status: 'abandoned' as const,
      startedAt: new Date(NOW.getTime() - 600_000),
      finishedAt: NOW,
      records: 75,
    };
    const html = renderStatusPage(
      [
        row({
          lastRun: abandoned,
          lastError: { code: 'run_abandoned', message: 'The process running this run stopped without finishing it' },
        }),
      ],
      null,
      { now: NOW },
    );
    assert.match(html, /<span class="run abandoned">sync abandoned<\/span>/);
    assert.match(html, /its process stopped without finishing it, 75 records/);
    assert.doesNotMatch(html, /took 10 min/);
    assert.match(html, /<code>run_abandoned<\/code>/);
  });

  test('each stream row shows when and what its latest backfill did: mode, outcome and rows', () => {
    const at = new Date(NOW.getTime() - 3 * 3_600_000).toISOString();
    const html = renderStatusPage(
      [
        row({
          lastBackfill: {
            at,
            jobId: '12',
            mode: 'replace',
            outcome: 'replaced',
            pages: 3,
            records: 1200,
            upserted: 1190,
            unseenDeleted: 7,
          },
        }),
        row({
          lastBackfill: {
            at,
            mode: 'replace',
            outcome: 'refused',
            records: 400,
            upserted: 400,
            wouldDelete: 700,
            liveRows: 1100,
            reason: 'refused to delete 700 of 1100 rows (64%, above the 50% limit)',
          },
        }),
        row({
          lastBackfill: {
            at,
            mode: 'merge',
            outcome: 'failed',
            error: { code: 'nango_unknown_connection', message: 'Nango has no connection "acme"' },
          },
        }),
        row(),
        row({ lastBackfill: { at, mode: 'merge', outcome: 'merged', records: 5, upserted: 5 } }),
      ],
      null,
      { now: NOW },
    );
    const cells = html.match(/<td class="last-backfill">.*?<\/td>/g) ?? [];
    assert.equal(cells.length, 5);
    assert.match(
      cells[0]!,
      /<span class="backfill replaced">replace backfill done<\/span> <time datetime="2026-11-26T09:00:00.000Z"[^>]*>3 h 00 min ago<\/time>/,
    );
    assert.match(cells[0]!, /1,200 records read, 1,190 upserted, 7 deleted as unseen/);
    assert.match(
      cells[1]!,
      /replace backfill refused.*400 records read, 400 upserted, <span class="message" title="refused to delete 700 of 1100 rows \(64%, above the 50% limit\)">refused to delete 700 of 1,100 rows/,
    );
    assert.match(
      cells[2]!,
      /merge backfill failed.*<code>nango_unknown_connection<\/code> <span class="message" title="Nango has no connection &quot;acme&quot;">/,
    );
    assert.match(cells[3]!, /<span class="none">none<\/span>/);
    // The mode once, then how it ended: never "merge merged".
    assert.match(cells[4]!, /<span class="backfill merged">merge backfill done<\/span>.*5 records read, 5 upserted/);
    assert.match(html, /<th>Last backfill<\/th>/);
  });

  test('what a backfill stored is escaped too: its mode, outcome, reason or error cannot add markup', () => {
    const evil = '</td></tr><tr class="stream x"><td><script>alert(1)</script>';
    const html = renderStatusPage(
      [
        row({ lastBackfill: { at: 'not a time', mode: evil, outcome: 'refused', reason: evil, wouldDelete: '<b>' } }),
        row({ lastBackfill: { mode: 'merge', outcome: 'failed', error: { code: evil, message: evil } } }),
        row({ lastBackfill: { mode: 'merge', outcome: `merged" onclick="x` } }),
      ],
      null,
      { now: NOW },
    );
    assert.equal(streamRows(html), 3);
    assert.doesNotMatch(html, /<script>|<b>|" onclick=/);
    assert.match(html, /class="backfill merged&quot; onclick=&quot;x"/);
    assert.match(html, /refused to delete \? of \? rows/);
  });

  test('each stream row shows its value errors standing now, and where to read them when there are some', () => {
    const html = renderStatusPage([row({ valueErrors: 1234 }), row()], null, { now: NOW });
    const cells = html.match(/<td class="value-errors num">.*?<\/td>/g) ?? [];
    assert.equal(cells.length, 2);
    assert.match(
      cells[0]!,
      /<span class="some" title="[^"]*">1,234<\/span><br><small>see <code>nango_replicator\.value_errors<\/code><\/small>/,
    );
    assert.equal(cells[1], '<td class="value-errors num">0</td>', 'no pointer when none stand');
    assert.match(html, /<th>Rows<\/th><th>Value errors<\/th>/);
    const firstRow = /<tr class="stream [^"]*"[^>]*>(.*?)<\/tr>/.exec(html)?.[1] ?? '';
    const headers = html.match(/<th>/g)?.length;
    assert.equal(firstRow.match(/<td[ >]/g)?.length, headers, 'one header per cell');
    assert.match(
      renderStatusPage([], null, { now: NOW }),
      new RegExp(`<td colspan="${headers}" class="none">No streams yet`),
      'the empty row spans every column',
    );
  });

  test('no streams: the page says so instead of an empty table', () => {
    const html = renderStatusPage([], null, { now: NOW });
    assert.equal(streamRows(html), 0);
    assert.match(html, /No streams yet/);
  });

  test('the API budget shows the account usage in its window and the replicator share', () => {
    const budget = { accountLimit: 1000, remaining: 750, resetsAt: new Date(NOW.getTime() + 20_000), share: 0.9 };
    const html = renderStatusPage([row()], budget, { now: NOW });
    assert.match(
      html,
      /1,000 requests\/min for the account; the replicator may spend 90% \(900\/min, red mark\)\. 250 of 1,000 used in the current window \(25%\), resets in 20 s\./,
    );
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
    const one = renderSparkline([1, ...new Array<number>(23).fill(0)]);
    assert.match(one, /<title>1 record, 23-24 h ago/);
    assert.match(one, /aria-label="1 record in the last 24 h"/);
  });

  test('durations read as people say them', () => {
    assert.deepEqual([45, 600, 3_900, 200_000, -5].map(formatDuration), ['45 s', '10 min', '1 h 05 min', '2 d 7 h', '0 s']);
  });
});
