import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify from 'fastify';
import type { Kysely } from 'kysely';
import { Secret } from '../../src/config/secret.js';
import { registerStatusPage } from '../../src/status-page/register-status-page.js';
import { createDatabase } from '../../src/store/create-database.js';
import { ensureStream } from '../../src/store/ensure-stream.js';
import { recordBackfillOutcome } from '../../src/store/record-backfill-outcome.js';
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

  test('serves HTML, never cached, and says when there are no streams yet (its security headers: admin-door.test.ts)', async () => {
    const app = Fastify();
    registerStatusPage(app, { db, logger: captureLogger().logger, budget: async () => null });
    const res = await app.inject({ method: 'GET', url: '/' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.match(res.body, /No streams yet/);
  });

  test("each stream's latest backfill, as the backfill stored it, is in the stream's row", async () => {
    const stream = { providerConfigKey: 'helpdesk', connectionId: 'acme', model: 'Ticket', variant: 'base' };
    await recordBackfillOutcome(db, stream, {
      jobId: '7',
      mode: 'replace',
      outcome: 'replaced',
      records: 2250,
      upserted: 2250,
      unseenDeleted: 3,
    });
    const app = Fastify();
    registerStatusPage(app, { db, logger: captureLogger().logger, budget: async () => null });
    const res = await app.inject({ method: 'GET', url: '/' });
    assert.equal(res.statusCode, 200);
    const cell = /<td class="last-backfill">(.*?)<\/td>/.exec(res.body)?.[1] ?? '';
    assert.match(cell, /<span class="backfill replaced">replace backfill done<\/span> <time datetime="[^"]+"[^>]*>\d+ s ago<\/time>/);
    assert.match(cell, /2,250 records read, 2,250 upserted, 3 deleted as unseen/);
  });

  test("each stream's row counts the value errors standing for that stream and points to their table", async () => {
    const withErrors = await ensureStream(db, { providerConfigKey: 'crm', connectionId: 'acme', model: 'Contact', variant: 'base' });
    await ensureStream(db, { providerConfigKey: 'crm', connectionId: 'globex', model: 'Contact', variant: 'base' });
    const error = (streamId: string, recordId: string, field: string) => ({
      stream_id: streamId,
      record_id: recordId,
      field,
      column_name: field,
      column_type: 'bigint',
      reason: 'not an integer',
      record_cursor: 'c1',
    });
    await db
      .insertInto('nango_replicator.value_errors')
      .values([error(withErrors.id, 'C-1', 'age'), error(withErrors.id, 'C-1', 'score'), error(withErrors.id, 'C-2', 'age')])
      .execute();
    const app = Fastify();
    registerStatusPage(app, { db, logger: captureLogger().logger, budget: async () => null });
    const res = await app.inject({ method: 'GET', url: '/' });
    assert.equal(res.statusCode, 200);
    const cell = (stream: string) =>
      new RegExp(`<tr class="stream [a-z]+" data-stream="${stream}">.*?<td class="value-errors num">(.*?)</td>`).exec(res.body)?.[1];
    assert.match(
      cell('crm/acme/Contact') ?? '',
      /^<span class="some" [^>]*>3<\/span><br><small>see <code>nango_replicator\.value_errors<\/code><\/small>$/,
    );
    assert.equal(cell('crm/globex/Contact'), '0');
    assert.equal(cell('helpdesk/acme/Ticket'), '0');
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
