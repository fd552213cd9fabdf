import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { ReplicatorError } from '../../src/errors/replicator-error.js';
import { createDatabase } from '../../src/store/create-database.js';
import type { ReplicatorDatabase } from '../../src/store/replicator-tables.js';
import { PROBE_APPLICATION } from '../helpers/backend-storm.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

describe('a Postgres connection terminated under the replicator', () => {
  let database: TestDatabase;
  let db: Kysely<ReplicatorDatabase>;
  let admin: pg.Client;
  const idleErrors: Error[] = [];

  before(async () => {
    database = await createTestDatabase('database_connection_lost');
    db = createDatabase({ url: database.secretUrl, onIdleError: (error) => idleErrors.push(error) });
    admin = new pg.Client({ connectionString: database.url, application_name: PROBE_APPLICATION });
    await admin.connect();
  });
  after(async () => {
    await admin.end();
    await db.destroy();
    await database.drop();
  });

  const terminate = async (pid: number) => {
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    // The backend is gone once it no longer shows; its last word (57P01) is then on its way to the client.
    while ((await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount !== 0) await sleep(20);
  };
  const pidOf = async (executor: Kysely<ReplicatorDatabase>) =>
    (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(executor)).rows[0]!.pid;
  const isConnectionLost = (error: unknown) => {
    assert.ok(error instanceof ReplicatorError, String(error));
    assert.equal(error.code, 'postgres_connection_lost');
    assert.equal(error.retry, 'transient');
    assert.match(error.message, /^Postgres connection lost \(DATABASE_URL 127\.0\.0\.1:5432\): /);
    return true;
  };

  test('a connection held across awaits and terminated meanwhile fails its next statement as a transient lost connection, without crashing', async () => {
    await assert.rejects(
      db.connection().execute(async (connection) => {
        await terminate(await pidOf(connection));
        await sleep(50); // whether the 57P01 arrived before the next statement or not, the outcome is the same
        await sql`SELECT 1`.execute(connection);
      }),
      isConnectionLost,
    );
  });

  test('a transaction whose statement is in flight when its session is terminated rolls back and fails as a lost connection', async () => {
    await sql`CREATE TABLE IF NOT EXISTS public.marks (n int)`.execute(db);
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await sql`INSERT INTO public.marks VALUES (1)`.execute(trx);
        const pid = await pidOf(trx);
        const sleeping = sql`SELECT pg_sleep(30)`.execute(trx);
        const failed = sleeping.then(
          () => null,
          (error: unknown) => error,
        ); // observed at once: it fails during terminate()
        while ((await admin.query(`SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND query LIKE '%pg_sleep%'`, [pid])).rowCount === 0)
          await sleep(20);
        await terminate(pid);
        throw (await failed) ?? new Error('pg_sleep ended although its session was terminated');
      }),
      isConnectionLost,
    );
    assert.equal((await sql<{ n: string }>`SELECT count(*) AS n FROM public.marks`.execute(db)).rows[0]!.n, '0', 'nothing of it committed');
  });

  test('idle pooled connections terminated are reported and replaced: the next statements succeed', async () => {
    const pids = await Promise.all([1, 2, 3].map(() => db.connection().execute((c) => pidOf(c))));
    for (const pid of new Set(pids)) await terminate(pid);
    const before = idleErrors.length;
    // The pool drops each terminated idle client once its error arrives; a statement meanwhile may meet one still.
    for (let i = 0; ; i++) {
      try {
        assert.equal((await sql<{ one: number }>`SELECT 1 AS one`.execute(db)).rows[0]!.one, 1);
        break;
      } catch (error) {
        isConnectionLost(error);
        assert.ok(i < 5);
      }
    }
    assert.ok(idleErrors.length >= before, 'idle errors went to onIdleError');
  });
});
