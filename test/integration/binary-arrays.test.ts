import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { textArray, timestamptzArray } from '../../src/write/binary-arrays.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

/** Round trip through Postgres: what it reads from `param`, as text in UTC with every microsecond. */
async function read(client: pg.Client, type: 'text' | 'timestamptz', param: unknown): Promise<(string | null)[]> {
  const { rows } = await client.query<{ v: string | null }>(
    type === 'text' ? 'SELECT unnest($1::text[]) AS v' : `SELECT to_char(unnest($1::timestamptz[]), 'YYYY-MM-DD HH24:MI:SS.US') AS v`,
    [param],
  );
  return rows.map((row) => row.v);
}

describe('metadata arrays in Postgres binary format', () => {
  let database: TestDatabase;
  let client: pg.Client;
  before(async () => {
    database = await createTestDatabase('binary_arrays');
    client = new pg.Client({ connectionString: database.url, options: '-c TimeZone=UTC' });
    await client.connect();
  });
  after(async () => {
    await client?.end();
    await database?.drop();
  });

  test('timestamps read exactly as Postgres reads their text: offsets, fractions, before 2000, leap days, NULLs', async () => {
    const values = [
      '2024-03-04T06:59:51.471441+00:00',
      '2024-03-04T06:59:51.471441-05:00',
      '2024-03-04T06:59:51+05:30',
      '2024-03-04T06:59:51.4+0530',
      '2024-03-04T06:59:51.000001Z',
      '2024-03-04T06:59:51.25z',
      '2024-02-29T23:59:59.999999-15:59',
      '1999-12-31T23:59:59.999999Z',
      '1970-01-01T00:00:00Z',
      '1000-01-01T00:00:00.5+01',
      '9999-12-31T23:59:59.999999+15:00',
      null,
      '2000-01-01T00:00:00+00:00',
    ];
    const binary = timestamptzArray(values);
    assert.ok(binary !== null);
    assert.deepEqual(await read(client, 'timestamptz', binary), await read(client, 'timestamptz', values));
  });

  test('any other form or a field out of range is left to Postgres (null: send the text)', () => {
    for (const odd of [
      '2024-02-30T00:00:00Z',
      '2024-13-01T00:00:00Z',
      '2024-01-01 10:00:00Z',
      '2024-01-01T24:00:00Z',
      '2024-01-01T10:00:60Z',
      '2024-01-01T10:00:00.1234567Z',
      '2024-01-01T10:00:00.Z',
      '2024-01-01T10:00:00+16:00',
      '2024-01-01T10:00:00',
      '0999-01-01T00:00:00Z',
      'yesterday',
    ]) {
      assert.equal(timestamptzArray(['2024-01-01T00:00:00Z', odd]), null, odd);
    }
  });

  test('text, with NULLs, quotes, backslashes, commas, braces and non-ASCII, reads back unchanged', async () => {
    const values = ['ADDED', null, 'a"b\\c,d{e}f', 'é ✓ 𝄞', '', 'NULL'];
    assert.deepEqual(await read(client, 'text', textArray(values)), values);
    assert.deepEqual(await read(client, 'text', textArray([])), []);
  });
});
