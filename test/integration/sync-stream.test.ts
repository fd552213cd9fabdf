import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { ReplicatorError } from '../../src/errors/replicator-error.js';
import { assertMatchesSource } from '../helpers/assert-matches-source.js';
import { seedTickets, TICKETS, useReplicationFixture } from '../helpers/replication-fixture.js';
import { makeTicket } from '../helpers/ticket-model.js';

const { providerConfigKey: PCK, connectionId: CONN, model: MODEL } = TICKETS;

describe('sync of one stream', () => {
  const f = useReplicationFixture('sync_stream');

  const source = () => f.standIn.store.snapshot(PCK, CONN, MODEL);

  test('a multi-page stream with ties, and records updated, deleted and added while paging, ends equal to the source', async () => {
    seedTickets(f.standIn, 0, 300);
    let mutated = false;
    const summary = await f.sync({
      onProgress: (progress) => {
        if (progress.pages < 3 || mutated) return;
        mutated = true;
        // Records already read and records not read yet change under the reader's feet.
        f.standIn.store.update(PCK, CONN, MODEL, [
          { id: 'T-1', title: 'edited early' },
          { id: 'T-250', title: 'edited late' },
        ]);
        f.standIn.store.delete(PCK, CONN, MODEL, [{ id: 'T-2' }, { id: 'T-260' }]);
        seedTickets(f.standIn, 1000, 30);
      },
    });
    assert.equal(summary.complete, true);
    assert.ok(mutated, 'the source changed while the stream was read');
    assert.ok(summary.pages > 12, `expected many pages, got ${summary.pages}`);
    assertMatchesSource(await f.rows(), source());
    const rows = await f.rows();
    assert.equal(rows.get('T-1')?.title, 'edited early');
    assert.ok(rows.get('T-2')?._nango_deleted_at instanceof Date);
    assert.equal(rows.get('T-2')?.title, 'Ticket number 2', 'a deleted record keeps its last known values');
  });

  test('small pages that arrive at once share a transaction; pages that arrive slowly commit one by one', async () => {
    const commits = async (slowMs: number) => {
      await f.reset();
      seedTickets(f.standIn, 0, 100);
      if (slowMs > 0) f.standIn.faults.delayNext(4, slowMs, { pathPrefix: '/records' });
      const pages: number[] = [];
      const summary = await f.sync({ pageSize: 10, recordsPerTransaction: 50, onProgress: (p) => pages.push(p.pages) });
      assert.equal(summary.pages, 10);
      assertMatchesSource(await f.rows(), source());
      return pages;
    };
    const slow = await commits(150);
    assert.deepEqual(slow.slice(0, 3), [1, 2, 3], 'each of the slow pages committed on its own');
    const fast = await commits(0);
    assert.ok(fast.length < 10 && fast.at(-1) === 10, `commits after pages ${fast}: fewer commits than pages`);
  });

  test('a first read that meets rows already stored writes them newer-wins, skips the unchanged, with exact counts', async () => {
    // A stream's first read writes its pages as new rows (a plain INSERT); here every page meets stored rows.
    seedTickets(f.standIn, 0, 60);
    await f.sync({ pageSize: 20 });
    await sql`UPDATE nango_replicator.streams SET cursor = NULL, read_to_end_at = NULL`.execute(f.db);
    await sql`UPDATE nango.ticket SET title = 'stored, newer', _nango_last_modified_at = now() + interval '1 day' WHERE id = 'T-3'`.execute(
      f.db,
    );
    f.standIn.store.update(PCK, CONN, MODEL, [{ id: 'T-5', title: 'changed' }]);
    seedTickets(f.standIn, 100, 10);

    const summary = await f.sync({ pageSize: 20 });
    assert.equal(summary.complete, true);
    assert.equal(summary.records, 70);
    assert.equal(summary.upserted, 11, 'the changed record and the new ones: not the newer stored row, not the 58 unchanged');
    const rows = await f.rows();
    assert.equal(rows.size, 70);
    assert.equal(rows.get('T-3')?.title, 'stored, newer');
    assert.equal(rows.get('T-5')?.title, 'changed');
    assert.equal(rows.get('T-105')?.title, 'Ticket number 105');
  });

  test('a first read spread over slices is one first read: the stream counts as read to its end once a run reaches it', async () => {
    seedTickets(f.standIn, 0, 60);
    const readToEnd = async () =>
      (await f.db.selectFrom('nango_replicator.streams').select('read_to_end_at').executeTakeFirstOrThrow()).read_to_end_at;
    const first = await f.sync({ pageSize: 20, maxPages: 1 });
    assert.equal(first.complete, false);
    assert.equal(await readToEnd(), null);
    const rest = await f.sync({ pageSize: 20 });
    assert.equal(rest.complete, true);
    assert.equal(rest.upserted, 40);
    const stamped = await readToEnd();
    assert.ok(stamped instanceof Date);
    f.standIn.store.update(PCK, CONN, MODEL, [{ id: 'T-5', title: 'changed' }]);
    await f.sync();
    assert.deepEqual(await readToEnd(), stamped, 'stamped once, by the first run that read to the end');
    assertMatchesSource(await f.rows(), source());
  });

  test('a second run resumes from the stored cursor and changes nothing', async () => {
    seedTickets(f.standIn, 0, 120);
    const first = await f.sync();
    const before = await f.rows();
    const requestsBefore = f.standIn.requests.length;
    const second = await f.sync();
    assert.equal(second.records, 0);
    assert.equal(second.upserted, 0);
    const recordRequests = f.standIn.requests.slice(requestsBefore).filter((r) => r.path.startsWith('/records'));
    assert.equal(recordRequests.length, 1, 'one request finds there is nothing new');
    assert.equal(recordRequests[0]?.query.cursor, first.cursor);
    assert.deepEqual(await f.rows(), before);
  });

  test('a run picks up exactly what changed since the last one', async () => {
    seedTickets(f.standIn, 0, 100);
    await f.sync();
    f.standIn.store.update(PCK, CONN, MODEL, [{ id: 'T-5', points: 999 }]);
    f.standIn.store.delete(PCK, CONN, MODEL, [{ id: 'T-6' }]);
    seedTickets(f.standIn, 500, 3);
    const summary = await f.sync();
    assert.equal(summary.records, 5);
    assert.equal(summary.deleted, 1);
    assertMatchesSource(await f.rows(), source());
    assert.equal((await f.rows()).get('T-5')?.points, '999');
  });

  test('a transaction that fails leaves the previous state, and the next run completes exactly', async () => {
    seedTickets(f.standIn, 0, 100);
    await f.sync({ pageSize: 1000 }); // creates the table
    await sql`TRUNCATE nango.ticket`.execute(f.db);
    await sql`UPDATE nango_replicator.streams SET cursor = NULL`.execute(f.db);
    await sql`
      CREATE FUNCTION nango.fail_on_t60() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.id = 'T-60' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER fail_on_t60 BEFORE INSERT ON nango.ticket FOR EACH ROW EXECUTE FUNCTION nango.fail_on_t60();
    `.execute(f.db);
    // Pages of 25, two to a transaction: T-60 is in the second transaction, with records 50 to 99.
    await assert.rejects(f.sync({ pageSize: 25, recordsPerTransaction: 50 }), /injected failure/);
    const stream = await f.db.selectFrom('nango_replicator.streams').select(['cursor', 'last_error']).executeTakeFirstOrThrow();
    const committed = await f.rows();
    const failingWrite = Math.floor(source().findIndex((r) => r.id === 'T-60') / 50);
    assert.equal(committed.size, failingWrite * 50, 'the transactions before the failing one are committed, nothing of it');
    const lastCommitted = source().find((r) => r.cursor === stream.cursor);
    assert.ok(lastCommitted && committed.has(lastCommitted.id), 'the cursor is the last committed record');
    assert.match(JSON.stringify(stream.last_error), /injected failure/);

    await sql`DROP TRIGGER fail_on_t60 ON nango.ticket`.execute(f.db);
    const summary = await f.sync({ pageSize: 25 });
    assert.equal(summary.records, 100 - failingWrite * 50, 'the next run re-reads only what was not committed');
    assertMatchesSource(await f.rows(), source());
  });

  test('pruned and deleted records keep their last known values', async () => {
    seedTickets(f.standIn, 0, 10);
    await f.sync();
    f.standIn.store.prune(PCK, CONN, MODEL, ['T-3']);
    f.standIn.store.delete(PCK, CONN, MODEL, [{ id: 'T-4' }]);
    await f.sync({ full: true }); // a pruned record does not move in the stream: only a full read sees it
    const rows = await f.rows();
    const pruned = rows.get('T-3');
    assert.ok(pruned?._nango_pruned_at instanceof Date);
    assert.equal(pruned.title, 'Ticket number 3');
    assert.equal((pruned._nango_raw as Record<string, unknown>).title, 'Ticket number 3');
    const deleted = rows.get('T-4');
    assert.ok(deleted?._nango_deleted_at instanceof Date);
    assert.equal(deleted._nango_last_action, 'DELETED');
    assert.equal(deleted.points, '12');
    assertMatchesSource(rows, source());
  });

  test('a record deleted and saved again comes back as a live row', async () => {
    seedTickets(f.standIn, 0, 5);
    await f.sync();
    f.standIn.store.delete(PCK, CONN, MODEL, [{ id: 'T-1' }]);
    await f.sync();
    f.standIn.store.save(PCK, CONN, MODEL, [makeTicket(1, { title: 'back again' })]);
    await f.sync();
    const row = (await f.rows()).get('T-1');
    assert.equal(row?._nango_deleted_at, null);
    assert.equal(row?.title, 'back again');
    assert.equal(row?._nango_last_action, 'ADDED');
  });

  test('values that do not fit their column are NULL there, intact in _nango_raw, and listed as value errors', async () => {
    f.standIn.store.save(PCK, CONN, MODEL, [
      makeTicket(1, { dueAt: 'yesterday', points: 'many', score: 'high', done: 'yes', title: 'nul\u0000inside' }),
      makeTicket(2),
    ]);
    const summary = await f.sync();
    assert.equal(summary.valueErrors, 4);
    assert.equal(summary.nulRemoved, 1);
    const rows = await f.rows();
    const bad = rows.get('T-1') as Record<string, unknown>;
    assert.deepEqual([bad.due_at, bad.points, bad.score, bad.done], [null, null, null, null]);
    assert.equal(bad.title, 'nulinside');
    assert.deepEqual((bad._nango_raw as Record<string, unknown>).points, 'many');
    assert.equal(rows.get('T-2')?.points, '6');
    const errors = await f.db.selectFrom('nango_replicator.value_errors').selectAll().orderBy('field').execute();
    assert.deepEqual(
      errors.map((e) => [e.record_id, e.field, e.column_type]),
      [
        ['T-1', 'done', 'boolean'],
        ['T-1', 'dueAt', 'timestamptz'],
        ['T-1', 'points', 'bigint'],
        ['T-1', 'score', 'double precision'],
      ],
    );
    assert.match(errors[1]?.reason ?? '', /yesterday/);
  });

  test('deletes: hard removes the rows of deleted records', async () => {
    seedTickets(f.standIn, 0, 10);
    await f.sync({ deletes: 'hard' });
    f.standIn.store.delete(PCK, CONN, MODEL, [{ id: 'T-7' }]);
    const summary = await f.sync({ deletes: 'hard' });
    assert.equal(summary.deleted, 1);
    const rows = await f.rows();
    assert.equal(rows.size, 9);
    assert.equal(rows.has('T-7'), false);
  });

  test('a bounded slice sends exactly the record requests it consumes, and the next slice goes on from there', async () => {
    seedTickets(f.standIn, 0, 100);
    const slices: { pages: number; complete: boolean; requests: (string | undefined)[] }[] = [];
    let cursor: string | null = null;
    for (let slice = 0; slice < 3; slice++) {
      const requestsBefore = f.standIn.requests.length;
      const summary = await f.sync({ pageSize: 10, maxPages: 4 });
      const records = f.standIn.requests.slice(requestsBefore).filter((r) => r.path.startsWith('/records'));
      assert.equal(records[0]?.query.cursor, cursor ?? undefined, 'each slice starts where the last one committed');
      slices.push({ pages: summary.pages, complete: summary.complete, requests: records.map((r) => r.query.cursor as string | undefined) });
      cursor = summary.cursor;
    }
    assert.deepEqual(
      slices.map((s) => [s.pages, s.requests.length, s.complete]),
      [
        [4, 4, false],
        [4, 4, false],
        [2, 2, true],
      ],
      'no slice asks for a page past its last one',
    );
    assertMatchesSource(await f.rows(), source());
  });

  test('a 429 with Retry-After is waited out and 500s are retried, and the run completes', async () => {
    seedTickets(f.standIn, 0, 60);
    const requestsBefore = f.standIn.requests.length;
    f.standIn.faults.rateLimitNext(1, 1, { pathPrefix: '/records' });
    f.standIn.faults.failNext(2, {
      status: 500,
      body: { error: { code: 'server_error', message: 'Failed to fetch records' } },
      pathPrefix: '/records',
    });
    const summary = await f.sync({ pageSize: 100 });
    assert.equal(summary.records, 60);
    const records = f.standIn.requests.slice(requestsBefore).filter((r) => r.path.startsWith('/records'));
    assert.deepEqual(
      records.map((r) => r.status),
      [429, 500, 500, 200],
    );
    assert.ok((records[1]?.at ?? 0) - (records[0]?.at ?? 0) >= 1000, 'the retry came after Retry-After');
    assertMatchesSource(await f.rows(), source());
  });

  test('a stored cursor that Nango keeps refusing is reported as rejected, with what to do', async () => {
    seedTickets(f.standIn, 0, 5);
    await f.sync();
    await sql`UPDATE nango_replicator.streams SET cursor = ${Buffer.from('not a cursor').toString('base64')}`.execute(f.db);
    await assert.rejects(f.sync(), (error: unknown) => {
      assert.ok(error instanceof ReplicatorError);
      assert.equal(error.code, 'cursor_rejected');
      assert.match(error.message, /--full/);
      return true;
    });
  });

  test('two runs of one stream never both commit: the second stops with a clear error', async () => {
    seedTickets(f.standIn, 0, 100);
    f.standIn.faults.delayNext(2, 300, { pathPrefix: '/records' });
    const results = await Promise.allSettled([f.sync(), f.sync()]);
    const failures = results.filter((r) => r.status === 'rejected');
    assert.equal(failures.length, 1);
    const reason = (failures[0] as PromiseRejectedResult).reason as ReplicatorError;
    assert.equal(reason.code, 'stream_taken');
    assertMatchesSource(await f.rows(), source());
  });
});
