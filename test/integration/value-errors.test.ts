import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import type { NangoClient } from '../../src/nango/nango-client.js';
import type { NangoRecord } from '../../src/write/records-page.js';
import { directModelFields } from '../../src/replicate/model-fields-lookup.js';
import { replicateStream } from '../../src/replicate/replicate-stream.js';
import { TEST_SECRET_KEY, TICKETS, useReplicationFixture } from '../helpers/replication-fixture.js';
import { runCliProcess } from '../helpers/run-cli-process.js';
import { makeTicket } from '../helpers/ticket-model.js';

const { providerConfigKey: PCK, connectionId: CONN, model: MODEL } = TICKETS;

describe('value errors describe the values stored now', () => {
  const f = useReplicationFixture('value_errors');
  const cliEnv = () => ({ NANGO_SECRET_KEY: TEST_SECRET_KEY, NANGO_HOST: f.standIn.url, DATABASE_URL: f.database.url, LOG_LEVEL: 'info' });

  /** `record_id field` of every value-error row, sorted. */
  const errors = async () =>
    (
      await f.db.selectFrom('nango_replicator.value_errors').select(['record_id', 'field']).orderBy('record_id').orderBy('field').execute()
    ).map((e) => `${e.record_id} ${e.field}`);
  const runErrors = async () =>
    (await sql<{ value_errors: number }>`SELECT value_errors FROM nango_replicator.runs ORDER BY id`.execute(f.db)).rows.map(
      (r) => r.value_errors,
    );

  test('a value fixed in a later version clears its error, and status counts only the errors that stand', async () => {
    f.standIn.store.save(PCK, CONN, MODEL, [
      makeTicket(1, { points: 'many', dueAt: 'yesterday' }),
      makeTicket(2, { score: 'high' }),
      makeTicket(3),
    ]);
    await f.sync();
    assert.deepEqual(await errors(), ['T-1 dueAt', 'T-1 points', 'T-2 score']);
    const shown = await f.db
      .selectFrom('nango_replicator.value_errors_view')
      .select(['provider_config_key', 'connection_id', 'model', 'record_id', 'field', 'column_name', 'column_type'])
      .orderBy('record_id')
      .orderBy('field')
      .execute();
    assert.deepEqual(
      shown[0],
      {
        provider_config_key: PCK,
        connection_id: CONN,
        model: MODEL,
        record_id: 'T-1',
        field: 'dueAt',
        column_name: 'due_at',
        column_type: 'timestamptz',
      },
      'the view names the stream instead of its id',
    );
    assert.equal(shown.length, 3);

    f.standIn.store.update(PCK, CONN, MODEL, [
      { id: 'T-1', points: 5 },
      { id: 'T-2', score: 2.5 },
    ]);
    await f.sync();
    assert.deepEqual(await errors(), ['T-1 dueAt'], 'the fixed values lost their errors, the one still bad kept it');
    assert.equal((await f.rows()).get('T-1')?.points, '5');
    assert.deepEqual(await runErrors(), [3, 1], 'each run counts the errors of the versions it wrote');

    const json = await runCliProcess(['status', '--json'], cliEnv());
    assert.equal(json.code, 0, json.stderr);
    assert.equal((JSON.parse(json.stdout) as { valueErrors: number }[])[0]?.valueErrors, 1);
    const table = await runCliProcess(['status'], cliEnv());
    assert.match(table.stdout, /^INTEGRATION\s+CONNECTION\s+MODEL\s+STATE\s+ROWS\s+VALUE ERRORS\s/m);
    assert.match(table.stdout, /^helpdesk\s+acme\s+Ticket\s+fresh\s+3\s+1\s+/m);
  });

  test('an older version with a bad value arriving after a newer fixed one adds no error', async () => {
    f.standIn.store.save(PCK, CONN, MODEL, [makeTicket(1, { points: 'many' }), makeTicket(2)]);
    await f.sync();
    f.standIn.store.update(PCK, CONN, MODEL, [{ id: 'T-1', points: 5 }]);
    await f.sync();
    assert.deepEqual(await errors(), []);

    // Nango sends the record's old version again, after the fixed one was stored.
    const newer = (await f.rows()).get('T-1') as Record<string, unknown>;
    const older: NangoRecord = {
      ...makeTicket(1, { points: 'many' }),
      id: 'T-1',
      _nango_metadata: {
        first_seen_at: '2020-01-01T00:00:00.000Z',
        last_modified_at: '2020-01-01T00:00:00.000Z',
        last_action: 'UPDATED',
        deleted_at: null,
        pruned_at: null,
        cursor: String(newer._nango_cursor),
      },
    };
    f.standIn.store.update(PCK, CONN, MODEL, [{ id: 'T-2', title: 'a page to carry it' }]);
    const replaying: NangoClient = {
      ...f.nango,
      async *listRecords(params) {
        for await (const page of f.nango.listRecords(params)) yield { ...page, records: [structuredClone(older), ...page.records] };
      },
    };
    await replicateStream(
      { db: f.db, nango: replaying, modelFields: directModelFields(replaying), logger: f.logger },
      { stream: TICKETS, schema: 'nango', deletes: 'soft', fillfactor: 100, pageSize: 25 },
    );
    assert.deepEqual(await errors(), []);
    assert.equal((await f.rows()).get('T-1')?.points, '5', 'the older version was not written');
    assert.equal((await runErrors()).at(-1), 0);
  });

  test('a hard-deleted record loses its value errors', async () => {
    f.standIn.store.save(PCK, CONN, MODEL, [makeTicket(1, { points: 'many' }), makeTicket(2, { done: 'yes' }), makeTicket(3)]);
    await f.sync({ deletes: 'hard' });
    f.standIn.store.delete(PCK, CONN, MODEL, [{ id: 'T-1' }]);
    await f.sync({ deletes: 'hard' });
    assert.equal((await f.rows()).has('T-1'), false);
    assert.deepEqual(await errors(), ['T-2 done']);
  });

  test('a soft-deleted record keeps its last values, and so their errors; a deleted version with a bad value adds none', async () => {
    f.standIn.store.save(PCK, CONN, MODEL, [makeTicket(1, { points: 'many' }), makeTicket(2)]);
    await f.sync();
    // Nango often replaces a deleted record's payload: the stored values (and the NULL of T-1's points) stay.
    f.standIn.store.delete(PCK, CONN, MODEL, [{ id: 'T-1' }, { id: 'T-2', points: 'lots' }]);
    await f.sync();
    const rows = await f.rows();
    assert.ok(rows.get('T-1')?._nango_deleted_at instanceof Date);
    assert.equal(rows.get('T-2')?.points, '6', 'a deleted record keeps its last known values');
    assert.deepEqual(await errors(), ['T-1 points']);
  });
});
