import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { Registry } from 'prom-client';
import { startAdminDoor } from '../../src/worker/start-admin-door.js';
import type { HttpServer } from '../../src/http/start-http-server.js';
import { createReplicatorMetrics } from '../../src/metrics/create-replicator-metrics.js';
import { createDatabase } from '../../src/store/create-database.js';
import { migrateToLatest } from '../../src/store/migrate-to-latest.js';
import type { ReplicatorDatabase } from '../../src/store/replicator-tables.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { runChromium } from '../helpers/run-chromium.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

/** Each payload, if it ran, marks the body: the test then finds `data-pwned` in the DOM Chromium built. */
const mark = (how: string) => `document.body.setAttribute('data-pwned','${how}')`;
const HOSTILE = {
  connection: `<img src=x onerror="${mark('img')}">`,
  connection2: `</script><script>${mark('script')}</script>`,
  model: `"><svg onload="${mark('svg')}"></svg>`,
  pck: `</td></tr></table><iframe srcdoc="<script>parent.${mark('iframe')}</script>"></iframe>`,
  error: `</textarea></title><script src="data:text/javascript,${mark('data-src')}"></script><a href="javascript:${mark('href')}">x</a>`,
};

const skipBrowser = process.env.SKIP_BROWSER_TESTS === '1' ? 'SKIP_BROWSER_TESTS=1: the status page is not tested in Chromium' : false;

describe('the status page in Chromium, served by the admin door, with hostile names', { skip: skipBrowser }, () => {
  let database: TestDatabase;
  let db: Kysely<ReplicatorDatabase>;
  let admin: HttpServer;

  before(async () => {
    database = await createTestDatabase('status_page_hostile');
    db = createDatabase({ url: database.secretUrl });
    await migrateToLatest(db);
    const streams = [
      { provider_config_key: 'github', connection_id: HOSTILE.connection, model: 'Issue' },
      { provider_config_key: 'github', connection_id: HOSTILE.connection2, model: HOSTILE.model },
      { provider_config_key: HOSTILE.pck, connection_id: 'acme', model: 'Contact' },
    ];
    for (const [i, stream] of streams.entries()) {
      const lastError = i === 0 ? JSON.stringify({ code: 'nango_http_error', message: HOSTILE.error }) : null;
      await db
        .insertInto('nango_replicator.streams')
        .values({ ...stream, last_error: lastError })
        .execute();
    }
    const registry = new Registry();
    admin = await startAdminDoor({
      config: { admin: { port: 0, host: '127.0.0.1', token: undefined }, nango: { rateLimit: { share: 0.9 } } } as never,
      logger: captureLogger().logger,
      db,
      registry,
      metrics: createReplicatorMetrics(registry),
      checks: [],
    });
  });
  after(async () => {
    await admin?.close();
    await db?.destroy();
    await database?.drop();
  });

  test('hostile connection ids, model names and error texts render as text, and no script runs', async () => {
    const url = `http://127.0.0.1:${admin.port}/`;
    // A virtual-time budget lets load events, onerror handlers and timers fire before the DOM is dumped.
    const dom = await runChromium(['--virtual-time-budget=3000', '--dump-dom', url]);
    assert.match(dom, /<body/, dom.slice(0, 500));
    assert.doesNotMatch(dom, /<body[^>]*data-pwned|\sdata-pwned="/, 'no payload ran');
    assert.doesNotMatch(
      dom,
      /<img[\s>]|<iframe[\s>]|<textarea[\s>]|<svg onload|<a href="javascript:/i,
      'no element came from a name or a message',
    );
    assert.doesNotMatch(dom, /<script/i, 'the page has no script, and none was injected');
    // Each payload is on the page, as text (escaped in the serialized DOM).
    for (const text of ['&lt;img src=x onerror=', '&lt;/script&gt;&lt;script&gt;', '&lt;svg onload=', '&lt;iframe srcdoc=']) {
      assert.ok(dom.includes(text), `${text} shown as text`);
    }
  });

  test('the page arrives with the policy, nosniff and no referrer', async () => {
    const response = await fetch(`http://127.0.0.1:${admin.port}/`);
    assert.match(String(response.headers.get('content-security-policy')), /default-src 'none'; script-src 'self'/);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
  });
});
