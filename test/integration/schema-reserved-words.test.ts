import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { PG_SYSTEM_COLUMNS, SQL_RESERVED_WORDS } from '../../src/schema/sql-reserved-words.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

/** Reserved in a later PostgreSQL than some servers the tests run on; kept so names chosen do not depend on the server. */
const NEWER_THAN_SOME_SERVERS = new Set(['system_user']);

describe('the embedded list of SQL reserved words matches the running Postgres', () => {
  let database: TestDatabase;
  let client: pg.Client;
  before(async () => {
    database = await createTestDatabase('reserved_words');
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
  });
  after(async () => {
    await client.end();
    await database.drop();
  });

  test('every reserved and type/function-name key word of the server is in the list, and the list holds no other', async () => {
    const { rows } = await client.query<{ word: string }>(`SELECT word FROM pg_get_keywords() WHERE catcode IN ('R', 'T')`);
    const server = new Set(rows.map((r) => r.word));
    assert.deepEqual(
      [...server].filter((w) => !SQL_RESERVED_WORDS.has(w)),
      [],
      'missing from src/schema/sql-reserved-words.ts',
    );
    assert.deepEqual(
      [...SQL_RESERVED_WORDS].filter((w) => !server.has(w) && !NEWER_THAN_SOME_SERVERS.has(w)),
      [],
    );
  });

  test('the list of system columns is the server’s', async () => {
    const { rows } = await client.query<{ name: string }>(
      `SELECT attname AS name FROM pg_attribute WHERE attrelid = 'pg_class'::regclass AND attnum < 0`,
    );
    assert.deepEqual(rows.map((r) => r.name).sort(), [...PG_SYSTEM_COLUMNS].sort());
  });

  test('a word of the list is indeed unusable as a bare column name', async () => {
    await client.query('CREATE TABLE t (x int)');
    await assert.rejects(client.query('SELECT left FROM t'), /syntax error/);
    const { rows } = await client.query<{ user: string }>('SELECT user FROM (SELECT 1) AS t');
    assert.equal(rows[0]?.user, 'postgres', 'unquoted, `user` is the database user, not a column');
  });
});
