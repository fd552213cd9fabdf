import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { registerStatusPage } from '../../src/status-page/register-status-page.js';
import { STATUS_PAGE_SIZE } from '../../src/status-page/status-page-query.js';
import { createDatabase } from '../../src/store/create-database.js';
import { migrateToLatest } from '../../src/store/migrate-to-latest.js';
import { requestsSavedPerMinute } from '../../src/store/requests-saved-per-minute.js';
import type { ReplicatorDatabase } from '../../src/store/replicator-tables.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { runChromium } from '../helpers/run-chromium.js';
import { seedFleetPolling } from '../helpers/seed-fleet-polling.js';
import { type SeededFleet, seedStreamFleet } from '../helpers/seed-stream-fleet.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

const CONNECTIONS = 10_000; // x 3 models = 30,000 streams
const MAX_PAGE_BYTES = 500 * 1024;

const skipBrowser = process.env.SKIP_BROWSER_TESTS === '1' ? 'SKIP_BROWSER_TESTS=1: the status page is not tested in Chromium' : false;

/** `<tr class="stream ...">` rows of a page: [state, data-stream]. */
const streamRows = (html: string) =>
  [...html.matchAll(/<tr class="stream ([a-z]+)" data-stream="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? ''] as const);
/** The summary's counts: `30000 streams`, `20 failing`, ... */
const summaryStates = (html: string) =>
  [...html.matchAll(/<strong>([\d,]+)<\/strong>([a-z -]+)<\/(?:a|span)>/g)].map((m) => `${m[1]} ${m[2]}`);

describe('status page of a fleet of 30,000 streams', () => {
  let database: TestDatabase;
  let db: Kysely<ReplicatorDatabase>;
  let app: FastifyInstance;
  let url: string;
  let fleet: SeededFleet;

  before(async () => {
    database = await createTestDatabase('status_page_fleet');
    db = createDatabase({ url: database.secretUrl });
    await migrateToLatest(db);
    fleet = await seedStreamFleet(db, CONNECTIONS);
    app = Fastify();
    registerStatusPage(app, {
      db,
      logger: captureLogger().logger,
      budget: async () => null,
      requestsSaved: () => requestsSavedPerMinute(db),
      schema: 'nango',
    });
    url = `${await app.listen({ host: '127.0.0.1', port: 0 })}/`;
  });

  after(async () => {
    await app?.close();
    await db?.destroy();
    await database?.drop();
  });

  const get = async (query = '') => {
    const res = await app.inject({ method: 'GET', url: `/${query}` });
    return { status: res.statusCode, body: res.body, bytes: res.rawPayload.length };
  };
  const n = (count: number) => count.toLocaleString('en-US');

  test('the page is a summary of the whole fleet and the 50 worst streams, under 500 KB', async () => {
    const { status, body, bytes } = await get();
    assert.equal(status, 200);
    assert.ok(bytes < MAX_PAGE_BYTES, `${bytes} bytes`);
    assert.deepEqual(summaryStates(body), [
      `${n(fleet.total)} streams`,
      `${fleet.failing} failing`,
      `${fleet.lagging} lagging`,
      '0 budget-limited',
      `${fleet.never} never read`,
      `${n(fleet.fresh)} fresh`,
    ]);
    const rows = streamRows(body);
    assert.equal(rows.length, STATUS_PAGE_SIZE);
    assert.deepEqual(
      rows.slice(0, fleet.failing).map(([state]) => state),
      new Array(fleet.failing).fill('failing'),
    );
    assert.deepEqual(new Set(rows.slice(fleet.failing).map(([state]) => state)), new Set(['lagging']));
    assert.match(body, /Worst first: 1–50 of 30,000 \(page 1 of 600\)/);
    assert.match(body, /<meta http-equiv="refresh" content="30">/);
  });

  test('filters by integration, connection, model, state and search, in SQL, and pages through the matches', async () => {
    const one = streamRows((await get('?connection=c-7')).body);
    assert.deepEqual(one.map(([, s]) => s).sort(), ['crm/c-7/Contact', 'crm/c-7/Deal', 'crm/c-7/Ticket']);
    assert.equal(one[0]?.[0], 'failing', 'worst first within the filter');

    const deals = await get('?integration=crm&model=Deal&state=lagging');
    assert.match(deals.body, new RegExp(`of ${fleet.lagging / 3} \\(page 1 of ${Math.ceil(fleet.lagging / 3 / STATUS_PAGE_SIZE)}\\)`));
    assert.ok(streamRows(deals.body).every(([state, s]) => state === 'lagging' && s.endsWith('/Deal')));

    const search = streamRows((await get('?q=C-999')).body).map(([, s]) => s);
    assert.ok(search.length > 0 && search.every((s) => s.includes('c-999')), 'search is a case-insensitive substring');

    const page2 = await get('?state=fresh&page=2');
    const page3 = await get('?state=fresh&page=3');
    const [a, b] = [streamRows(page2.body).map(([, s]) => s), streamRows(page3.body).map(([, s]) => s)];
    assert.equal(a.length, STATUS_PAGE_SIZE);
    assert.equal(new Set([...a, ...b]).size, 2 * STATUS_PAGE_SIZE, 'pages do not overlap');
    assert.match(page2.body, new RegExp(`Worst first: 51–100 of ${n(fleet.fresh)}`));
    assert.match(page2.body, /<a href="\?state=fresh&amp;page=3">next ›<\/a>/);
    assert.match(page2.body, /<a href="\?state=fresh">‹ previous<\/a>/);

    assert.match((await get('?integration=nope')).body, /No stream matches these filters/);
  });

  test('a bad query answers 400 naming the parameter, without echoing markup', async () => {
    const bad = await get('?state=%3Cscript%3E');
    assert.equal(bad.status, 400);
    assert.match(bad.body, /state must be one of failing, lagging, never, fresh/);
    assert.doesNotMatch(bad.body, /<script/);
    assert.equal((await get('?page=0')).status, 400);
    const echoed = await get('?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E');
    assert.equal(echoed.status, 200);
    assert.doesNotMatch(echoed.body, /<script/);
    assert.match(echoed.body, /value="&lt;script&gt;alert\(1\)&lt;\/script&gt;"/);
  });

  test('Chromium renders the page of 30,000 streams with the summary and the worst streams', { skip: skipBrowser }, async () => {
    const dom = await runChromium(['--dump-dom', `${url}?refresh=off`]);
    assert.deepEqual(summaryStates(dom).slice(0, 2), [`${n(fleet.total)} streams`, `${fleet.failing} failing`]);
    const rows = streamRows(dom);
    assert.equal(rows.length, STATUS_PAGE_SIZE);
    assert.equal(rows[0]?.[0], 'failing');
    assert.doesNotMatch(dom, /<meta http-equiv="refresh"/, 'refresh=off stops the reloads');
  });

  // Last: it changes the fleet (polling state, deleted connections) the tests above describe.
  test('the summary counts budget-limited and not-followed streams, and says what adaptive polling saves', async () => {
    const before = await get();
    assert.doesNotMatch(before.body, /not followed|Adaptive polling saves/, 'no _nango_connections yet, no stream polled yet');
    const polling = await seedFleetPolling(db);
    const { body, bytes } = await get();
    assert.ok(bytes < MAX_PAGE_BYTES, `${bytes} bytes`);
    assert.deepEqual(summaryStates(body).slice(3, 5), [`${polling.budgetLimited} budget-limited`, `${polling.notFollowed} not followed`]);
    assert.match(
      body,
      new RegExp(`<span class="not-followed"><strong>${polling.notFollowed}</strong>not followed</span>`),
      'a count, not a link to a filter it lacks',
    );
    assert.match(body, new RegExp(`Adaptive polling saves ${polling.requestsSavedPerMinute} requests a minute\\.`));
  });
});
