import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify from 'fastify';
import type { Kysely } from 'kysely';
import { Secret } from '../../src/config/secret.js';
import { registerStatusPage } from '../../src/status-page/register-status-page.js';
import { createDatabase } from '../../src/store/create-database.js';
import { migrateToLatest } from '../../src/store/migrate-to-latest.js';
import type { ReplicatorDatabase } from '../../src/store/replicator-tables.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

describe('GET / (status page route)', () => {
  let database: TestDatabase;
  let db: Kysely<ReplicatorDatabase>;

  before(async () => {
    database = await createTestDatabase('status_page_route');
    db = createDatabase({ url: database.secretUrl });
    await migrateToLatest(db);
  });
  after(async () => {
    await db?.destroy();
    await database?.drop();
  });

  test('serves HTML under a policy that lets no script run, and says when there are no streams yet', async () => {
    const app = Fastify();
    registerStatusPage(app, { db, logger: captureLogger().logger, budget: async () => null });
    const res = await app.inject({ method: 'GET', url: '/' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(String(res.headers['content-security-policy']), /default-src 'none'/);
    assert.doesNotMatch(String(res.headers['content-security-policy']), /script-src/);
    assert.match(res.body, /No streams yet/);
  });

  test('when the database cannot be read the page answers 503 and the log says why', async () => {
    const unreachable = createDatabase({ url: new Secret('postgres://postgres@127.0.0.1:1/none') });
    const log = captureLogger();
    const app = Fastify();
    registerStatusPage(app, { db: unreachable, logger: log.logger, budget: async () => null });
    const res = await app.inject({ method: 'GET', url: '/' });
    await unreachable.destroy();
    assert.equal(res.statusCode, 503);
    assert.match(res.body, /could not be read from the database/);
    assert.match(log.text(), /status page could not be built/);
  });
});
