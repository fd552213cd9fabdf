import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { Registry } from 'prom-client';
import { startAdminDoor } from '../../src/worker/start-admin-door.js';
import { Secret } from '../../src/config/secret.js';
import { healthRoutes } from '../../src/http/health-routes.js';
import type { HttpServer } from '../../src/http/start-http-server.js';
import { startHttpServer } from '../../src/http/start-http-server.js';
import { createReplicatorMetrics } from '../../src/metrics/create-replicator-metrics.js';
import { createDatabase } from '../../src/store/create-database.js';
import { migrateToLatest } from '../../src/store/migrate-to-latest.js';
import type { ReplicatorDatabase } from '../../src/store/replicator-tables.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

const TOKEN = 'c0ffee00c0ffee00c0ffee00c0ffee00';
const failing = [{ name: 'postgres', check: async () => Promise.reject(new Error('connection refused at db.internal:5432')) }];

describe('the admin door: status page and /metrics behind ADMIN_TOKEN, with security headers', () => {
  let database: TestDatabase;
  let db: Kysely<ReplicatorDatabase>;
  const servers: HttpServer[] = [];

  const open = async (admin: { host?: string; token?: Secret }, checks = [] as typeof failing) => {
    const captured = captureLogger();
    const registry = new Registry();
    const server = await startAdminDoor({
      config: { admin: { port: 0, host: admin.host ?? '127.0.0.1', token: admin.token }, nango: { rateLimit: { share: 0.9 } } } as never,
      logger: captured.logger,
      db,
      registry,
      metrics: createReplicatorMetrics(registry),
      checks,
    });
    servers.push(server);
    return { url: `http://127.0.0.1:${server.port}`, log: captured };
  };

  before(async () => {
    database = await createTestDatabase('admin_door');
    db = createDatabase({ url: database.secretUrl });
    await migrateToLatest(db);
  });
  after(async () => {
    for (const server of servers) await server.close();
    await db?.destroy();
    await database?.drop();
  });

  test('with ADMIN_TOKEN: 401 without it or with another, 200 with it; health stays open; the token is never logged', async () => {
    const { url, log } = await open({ token: new Secret(TOKEN) });
    for (const path of ['/', '/metrics']) {
      const bare = await fetch(`${url}${path}`);
      assert.equal(bare.status, 401, path);
      assert.match(String(bare.headers.get('www-authenticate')), /^Bearer /);
      assert.doesNotMatch(await bare.text(), new RegExp(TOKEN));
      for (const wrong of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, TOKEN, `Basic ${TOKEN}`]) {
        assert.equal((await fetch(`${url}${path}`, { headers: { authorization: wrong } })).status, 401, `${path} with ${wrong}`);
      }
      assert.equal((await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200, path);
    }
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
    assert.doesNotMatch(log.text(), new RegExp(TOKEN));
  });

  test('the status page sends a policy that runs no foreign script, nosniff and no referrer, and 404s echo nothing', async () => {
    const { url } = await open({});
    const page = await fetch(`${url}/?q=<script>alert(1)</script>`);
    assert.equal(page.status, 200);
    const csp = String(page.headers.get('content-security-policy'));
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/, 'only scripts served by the door itself');
    assert.doesNotMatch(csp, /unsafe-eval|\*|https?:/, 'no eval, no other origin');
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    // The search box keeps what was searched, as text: never as markup.
    const html = await page.text();
    assert.doesNotMatch(html, /<script>alert\(1\)/, 'the query is not reflected as markup');
    assert.ok(!/<script/i.test(html.replace(/&lt;script&gt;alert\(1\)&lt;\/script&gt;/g, '')), 'no script element at all');
    const missing = await fetch(`${url}/nope/<img src=x onerror=alert(1)>`);
    assert.equal(missing.status, 404);
    assert.doesNotMatch(await missing.text(), /nope|img|onerror/);
  });

  test('without a token: a loopback door is quiet, a door on every address warns once at start', async () => {
    const quiet = await open({});
    assert.doesNotMatch(quiet.log.text(), /without ADMIN_TOKEN/);
    const loud = await open({ host: '0.0.0.0' });
    assert.equal(loud.log.lines.filter((l) => /without ADMIN_TOKEN/.test(l)).length, 1);
    assert.equal((await fetch(`${loud.url}/metrics`)).status, 200);
    const guarded = await open({ host: '0.0.0.0', token: new Secret(TOKEN) });
    assert.doesNotMatch(guarded.log.text(), /without ADMIN_TOKEN/);
  });

  test('readiness names what failed on the admin door, only "not ready" on the public door', async () => {
    const { url } = await open({}, failing);
    const detailed = await fetch(`${url}/readyz`);
    assert.equal(detailed.status, 503);
    assert.match(await detailed.text(), /db\.internal/);
    const publicDoor = await startHttpServer(
      { logger: captureLogger().logger },
      { port: 0, host: '127.0.0.1', routes: [healthRoutes(failing)] },
    );
    servers.push(publicDoor);
    const terse = await fetch(`http://127.0.0.1:${publicDoor.port}/readyz`);
    assert.equal(terse.status, 503);
    assert.deepEqual(await terse.json(), { status: 'not ready' });
  });

  test('an ADMIN_HOST that is not an address of this machine is named in the error', async () => {
    const registry = new Registry();
    await assert.rejects(
      startAdminDoor({
        // 203.0.113.0/24 is TEST-NET-3: never an address of this machine, so the bind fails at once (nothing is sent).
        config: { admin: { port: 0, host: '203.0.113.7', token: new Secret(TOKEN) }, nango: { rateLimit: { share: 0.9 } } } as never,
        logger: captureLogger().logger,
        db,
        registry,
        metrics: createReplicatorMetrics(registry),
        checks: [],
      }),
      { message: /the address to bind is not one of this machine's \(EADDRNOTAVAIL\): fix ADMIN_HOST/ },
    );
  });

  test('an ADMIN_PORT in use is named in the error', async () => {
    const holder: Server = createServer().listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const { port } = holder.address() as { port: number };
    try {
      const captured = captureLogger();
      const registry = new Registry();
      await assert.rejects(
        startAdminDoor({
          config: { admin: { port, host: '127.0.0.1', token: undefined }, nango: { rateLimit: { share: 0.9 } } } as never,
          logger: captured.logger,
          db,
          registry,
          metrics: createReplicatorMetrics(registry),
          checks: [],
        }),
        { message: new RegExp(`^ADMIN_PORT ${port} is in use by another process \\(EADDRINUSE\\)`) },
      );
    } finally {
      holder.close();
    }
  });
});
