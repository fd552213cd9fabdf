import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Kysely, sql } from 'kysely';
import { Secret } from '../../src/config/secret.js';
import { createNangoClient, type NangoClient } from '../../src/nango/nango-client.js';
import type { NangoRecord, RecordsPage } from '../../src/write/records-page.js';
import { parseRecordsPage } from '../../src/nango/parse-records-page.js';
import { openGate } from '../../src/ratelimit/request-gate.js';
import { directModelFields } from '../../src/replicate/model-fields-lookup.js';
import { replicateStream } from '../../src/replicate/replicate-stream.js';
import { modelFieldsFromSync } from '../../src/schema/model-fields.js';
import { type NangoStandIn, startNangoStandIn } from '../../stand-in/nango-stand-in.js';
import { createDatabase } from '../../src/store/create-database.js';
import { migrateToLatest } from '../../src/store/migrate-to-latest.js';
import type { ReplicatorDatabase } from '../../src/store/replicator-tables.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { TEST_SECRET_KEY, TICKETS } from '../helpers/replication-fixture.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';
import { makeTicket, ticketJsonSchema } from '../helpers/ticket-model.js';
import { replicateReference, writtenState } from '../helpers/replicate-reference.js';

const { providerConfigKey: PCK, connectionId: CONN, model: MODEL } = TICKETS;
const FIELDS = modelFieldsFromSync({ json_schema: { definitions: { Ticket: ticketJsonSchema } } }, MODEL);

/**
 * A page whose records a test changes no longer matches the response bytes it was read from: drop them, as the
 * writer would otherwise be entitled to send the payloads from those bytes.
 */
function edited(...pages: RecordsPage[]): void {
  for (const page of pages) delete page.body;
}

interface Side {
  database: TestDatabase;
  db: Kysely<ReplicatorDatabase>;
}

describe('the fast write path and a plain per-record reference produce identical tables', () => {
  let standIn: NangoStandIn;
  let nango: NangoClient;
  let fast: Side;
  let reference: Side;
  const logger = captureLogger('warn').logger;

  before(async () => {
    standIn = await startNangoStandIn({ secretKey: TEST_SECRET_KEY });
    standIn.store.addConnection({ providerConfigKey: PCK, connectionId: CONN });
    nango = createNangoClient(
      { fetch, gate: openGate, logger },
      {
        host: standIn.url,
        secretKey: new Secret(TEST_SECRET_KEY),
        requestTimeoutMs: 5_000,
        retries: 1,
        retryMinDelayMs: 10,
        retryMaxDelayMs: 10,
      },
    );
    const side = async (label: string): Promise<Side> => {
      const database = await createTestDatabase(label);
      const db = createDatabase({ url: database.secretUrl });
      await migrateToLatest(db);
      return { database, db };
    };
    fast = await side('write_path_fast');
    reference = await side('write_path_reference');
  });
  after(async () => {
    for (const side of [fast, reference]) {
      await side?.db.destroy();
      await side?.database.drop();
    }
    await standIn?.close();
  });

  /** Reads the stream as Nango serves it now, from `cursor`, running `during(pageIndex)` after each page. */
  async function capture(cursor: string | null, pageSize: number, during?: (page: number) => void): Promise<RecordsPage[]> {
    const pages: RecordsPage[] = [];
    for await (const page of nango.listRecords({ ...TICKETS, cursor, limit: pageSize })) {
      pages.push(page);
      during?.(pages.length);
    }
    return pages;
  }

  /**
   * Writes the same pages through replicateStream (pages joined two to a transaction, two such writes in flight) and
   * through the reference (a transaction per page), then compares.
   */
  async function writeBoth(pages: RecordsPage[], options: { full?: boolean; deletes?: 'soft' | 'hard' } = {}) {
    assert.ok(pages.length >= 3, 'enough pages for two writes to be in flight at once');
    const stub: NangoClient = {
      async *listRecords() {
        for (const page of pages) yield structuredClone(page);
      },
      getScriptsConfig: () => Promise.reject(new Error('not used: fields are given')),
      listConnections: () => Promise.reject(new Error('not used')),
    };
    const common = {
      stream: TICKETS,
      schema: 'nango',
      deletes: options.deletes ?? 'soft',
      fillfactor: 100,
      pageSize: 1,
      full: options.full,
      fields: FIELDS,
    };
    // Statements of 7 records: a page of 25 is written in four, with duplicates, bad values and NUL across them; a
    // write takes a second page while it holds fewer than 40 records.
    const summary = await replicateStream(
      { db: fast.db, nango: stub, modelFields: directModelFields(stub), logger },
      { ...common, rowsPerStatement: 7, recordsPerTransaction: 40 },
    );
    await replicateReference({ db: reference.db, logger }, { ...common, pages: structuredClone(pages) });
    const [fastState, referenceState] = [await writtenState(fast.db), await writtenState(reference.db)];
    assert.ok(fastState.rows.length > 0);
    assert.deepEqual(fastState, referenceState);
    return { summary, state: fastState };
  }

  test('a first read with ties, bad values, NUL, duplicates, an older version, a dead letter and records moving mid-read', async () => {
    const bad: Record<number, Record<string, unknown>> = {
      3: { dueAt: 'yesterday', points: 'many' },
      7: { score: 'high', done: 'yes', title: 42 },
      11: { points: 2 ** 60, dueAt: '2026-02-30T00:00:00Z' },
      13: { title: 'nul\u0000inside', tags: ['a\u0000b'], ['odd\u0000key']: 1 },
    };
    const payloads = Array.from({ length: 300 }, (_, n) => makeTicket(n, bad[n] ?? {}));
    for (let start = 0; start < payloads.length; start += 40) standIn.store.save(PCK, CONN, MODEL, payloads.slice(start, start + 40));
    const pages = await capture(null, 25, (page) => {
      if (page !== 3) return;
      standIn.store.update(PCK, CONN, MODEL, [
        { id: 'T-1', title: 'edited early' },
        { id: 'T-250', title: 'edited late' },
      ]);
      standIn.store.delete(PCK, CONN, MODEL, [{ id: 'T-2' }, { id: 'T-260' }]);
      standIn.store.save(
        PCK,
        CONN,
        MODEL,
        Array.from({ length: 30 }, (_, i) => makeTicket(1000 + i)),
      );
    });
    const [p2, p4, p5, p7, p8, p9] = [1, 3, 4, 6, 7, 8].map((i) => pages[i] as RecordsPage) as [
      RecordsPage,
      RecordsPage,
      RecordsPage,
      RecordsPage,
      RecordsPage,
      RecordsPage,
    ];
    // The same id twice in one page: the later occurrence wins.
    p5.records.push({ ...(p5.records[0] as NangoRecord), title: 'second occurrence wins' });
    // An older version arriving after a newer one: it must not overwrite.
    const newer = p2.records[0] as NangoRecord;
    const older = {
      ...newer,
      title: 'older, must lose',
      _nango_metadata: { ...newer._nango_metadata, last_modified_at: '2020-01-01T00:00:00+00:00' },
    };
    p7.records.splice(3, 0, older);
    // A record of page 8 again in page 9 (adjacent pages, both in flight), newer there.
    const moved = p8.records[0] as NangoRecord;
    p9.records.splice(0, 0, { ...moved, title: 'moved on', _nango_metadata: { ...(p9.records.at(-1) as NangoRecord)._nango_metadata } });
    p4.rejected.push({ index: 99, reason: 'records[99].id: expected a non-empty string', raw: { title: 'no id' } });
    edited(p4, p5, p7, p9);

    const { summary, state } = await writeBoth(pages);
    assert.equal(summary.complete, true);
    assert.ok(summary.valueErrors >= 7 && summary.nulRemoved === 3, JSON.stringify(summary));
    const byId = new Map(state.rows.map((row) => [row.id, row]));
    assert.equal(byId.get(String((p5.records[0] as NangoRecord).id))?.title, 'second occurrence wins');
    assert.notEqual(byId.get(newer.id)?.title, 'older, must lose');
    assert.equal(byId.get(moved.id)?.title, 'moved on');
    assert.equal(byId.get('T-3')?.points, null);
    assert.equal(state.deadLetters.length, 1);
  });

  test('an incremental read with updates, soft deletes, prunes and a record brought back', async () => {
    standIn.store.update(PCK, CONN, MODEL, [
      { id: 'T-5', points: 999 },
      { id: 'T-6', dueAt: 'not a date' },
    ]);
    standIn.store.delete(PCK, CONN, MODEL, [{ id: 'T-8' }, { id: 'T-9' }, { id: 'T-1001' }]);
    standIn.store.prune(PCK, CONN, MODEL, ['T-20', 'T-21']);
    standIn.store.save(PCK, CONN, MODEL, [makeTicket(2, { title: 'back again' })]);
    standIn.store.save(
      PCK,
      CONN,
      MODEL,
      Array.from({ length: 60 }, (_, i) => makeTicket(2000 + i)),
    );
    const pages = await capture((await writtenState(fast.db)).cursor, 20);
    const { state: after } = await writeBoth(pages);
    const byId = new Map(after.rows.map((row) => [row.id, row]));
    assert.equal(byId.get('T-8')?.title, 'Ticket number 8', 'a deleted record keeps its last known values');
    assert.equal(byId.get('T-2')?._nango_deleted_at, null);
  });

  test('a full re-read: older positions, pruned records keeping their values', async () => {
    const { state } = await writeBoth(await capture(null, 40), { full: true });
    const pruned = state.rows.find((row) => row.id === 'T-20');
    assert.ok(pruned?._nango_pruned_at instanceof Date);
    assert.equal(pruned.title, 'Ticket number 20');
  });

  test('a re-read of unchanged records, deleted and pruned ones included, writes no row on either path', async () => {
    const versions = async () =>
      (await sql<{ id: string; x: string }>`SELECT id, xmin::text AS x FROM nango.ticket ORDER BY id`.execute(fast.db)).rows;
    const before = await versions();
    const { state } = await writeBoth(await capture(null, 40), { full: true });
    assert.equal(state.runs.at(-1)?.upserted, 0, 'nothing was written again');
    assert.deepEqual(await versions(), before, 'no row got a new version');
  });

  test('hard deletes remove the rows, unless the stored row is newer', async () => {
    standIn.store.delete(PCK, CONN, MODEL, [{ id: 'T-30' }, { id: 'T-31' }, { id: 'T-32' }]);
    standIn.store.save(
      PCK,
      CONN,
      MODEL,
      Array.from({ length: 70 }, (_, i) => makeTicket(3000 + i)),
    );
    const { state } = await writeBoth(await capture((await writtenState(fast.db)).cursor, 25), { deletes: 'hard' });
    assert.equal(
      state.rows.some((row) => row.id === 'T-30'),
      false,
    );
  });

  test('value errors follow the version written: fixed, still bad, older, deleted, first stored deleted, hard-deleted', async () => {
    standIn.store.update(PCK, CONN, MODEL, [
      { id: 'T-3', dueAt: '2026-03-01T00:00:00Z', points: 1 },
      { id: 'T-7', score: 1.5 },
    ]);
    standIn.store.delete(PCK, CONN, MODEL, [{ id: 'T-11' }, { id: 'T-40', points: 'lots' }]);
    standIn.store.save(
      PCK,
      CONN,
      MODEL,
      Array.from({ length: 60 }, (_, i) => makeTicket(4000 + i, i === 5 ? { points: 'x' } : {})),
    );
    const pages = await capture((await writtenState(fast.db)).cursor, 20);
    const [p2, p3] = [pages[1] as RecordsPage, pages[2] as RecordsPage];
    const template = p2.records[0] as NangoRecord;
    // A record whose first version stored is a deleted one with a bad value: its values are taken, errors and all.
    p2.records.push({
      ...makeTicket(9000, { points: 'many' }),
      id: 'T-9000',
      _nango_metadata: { ...template._nango_metadata, deleted_at: template._nango_metadata.last_modified_at, last_action: 'DELETED' },
    });
    // T-3's old bad version after its fixed one: not written, so no error.
    p3.records.splice(1, 0, {
      ...makeTicket(3, { dueAt: 'yesterday' }),
      id: 'T-3',
      _nango_metadata: { ...template._nango_metadata, last_modified_at: '2020-01-01T00:00:00+00:00' },
    });
    edited(p2, p3);
    const { state } = await writeBoth(pages);
    const errorsOf = (id: string) => state.valueErrors.filter((e) => e.record_id === id).map((e) => e.field);
    assert.deepEqual(errorsOf('T-3'), []);
    assert.deepEqual(errorsOf('T-7'), ['done', 'title']);
    assert.deepEqual(errorsOf('T-11'), ['dueAt', 'points'], 'a soft-deleted record keeps its values and their errors');
    assert.deepEqual(errorsOf('T-40'), [], 'a deleted payload is not stored over the kept values');
    assert.deepEqual(errorsOf('T-4005'), ['points']);
    assert.deepEqual(errorsOf('T-9000'), ['points']);

    standIn.store.delete(PCK, CONN, MODEL, [{ id: 'T-7' }]);
    standIn.store.save(
      PCK,
      CONN,
      MODEL,
      Array.from({ length: 70 }, (_, i) => makeTicket(5000 + i)),
    );
    const { state: afterHard } = await writeBoth(await capture(state.cursor, 25), { deletes: 'hard' });
    assert.deepEqual(
      afterHard.valueErrors.filter((e) => e.record_id === 'T-7'),
      [],
    );
  });

  test('a pruned record carrying a value that does not fit: new, stored with NULL there and its error; stored, it changes no value and no error', async () => {
    standIn.store.save(
      PCK,
      CONN,
      MODEL,
      Array.from({ length: 70 }, (_, i) => makeTicket(6000 + i)),
    );
    const pages = await capture((await writtenState(fast.db)).cursor, 25);
    const [p2, p3] = [pages[1] as RecordsPage, pages[2] as RecordsPage];
    const meta = (p2.records[0] as NangoRecord)._nango_metadata;
    const pruned = (n: number, bad: Record<string, unknown>) =>
      ({ ...makeTicket(n, bad), id: `T-${n}`, _nango_metadata: { ...meta, pruned_at: meta.last_modified_at } }) as NangoRecord;
    // Not stored yet: its values are taken, so the bad one is NULL and listed.
    p2.records.push(pruned(9100, { points: 'many', dueAt: 'someday' }));
    // Stored and clean, or stored with an error of its own: the stored values stay, and so do their errors.
    p3.records.push(pruned(50, { points: 'lots', title: 'pruned, must not be stored' }), pruned(4005, { dueAt: 'never' }));
    edited(p2, p3);
    const before = await writtenState(fast.db);
    const storedBefore = new Map(before.rows.map((row) => [row.id, row]));
    assert.ok(storedBefore.has('T-50') && storedBefore.has('T-4005') && !storedBefore.has('T-9100'));

    const { state } = await writeBoth(pages);
    const byId = new Map(state.rows.map((row) => [row.id, row]));
    const errorsOf = (id: string) =>
      state.valueErrors
        .filter((e) => e.record_id === id)
        .map((e) => e.field)
        .sort();
    assert.ok(byId.get('T-9100')?._nango_pruned_at instanceof Date);
    assert.equal(byId.get('T-9100')?.points, null);
    assert.equal(byId.get('T-9100')?.due_at, null);
    assert.equal(byId.get('T-9100')?.title, 'Ticket number 9100');
    assert.deepEqual(errorsOf('T-9100'), ['dueAt', 'points']);
    assert.ok(byId.get('T-50')?._nango_pruned_at instanceof Date);
    assert.equal(byId.get('T-50')?.title, 'Ticket number 50');
    assert.equal(byId.get('T-50')?.points, storedBefore.get('T-50')?.points);
    assert.deepEqual(errorsOf('T-50'), []);
    assert.deepEqual(errorsOf('T-4005'), ['points']);
  });

  test('payloads Postgres refuses as Nango wrote them (beyond numeric, below the smallest double) are written as JSON.stringify writes them', async () => {
    const at = (p: number, i: number) => `2030-01-01T00:00:0${p}.00000${i}+00:00`;
    const meta = (p: number, i: number) => ({
      first_seen_at: at(p, i),
      last_modified_at: at(p, i),
      last_action: 'ADDED',
      deleted_at: null,
      pruned_at: null,
      cursor: Buffer.from(`${at(p, i)}||15ccc805-64d5-4940-a7e0-45fc704997a1`).toString('base64'),
    });
    // Pages as Nango's bytes, numbers spelled as a JSON encoder other than JavaScript's may spell them.
    const spelled: Record<string, string> = { '"@tiny"': '1e-400', '"@huge"': '1e200000', '"@five"': '5.0' };
    const pages = [0, 1, 2, 3].map((p) => {
      const records = [0, 1, 2].map((i) => {
        const n = 7000 + p * 10 + i;
        const odd = p === 1 && i === 1 ? { score: '@tiny' } : p === 2 && i === 0 ? { extra: '@huge' } : p === 3 ? { points: '@five' } : {};
        return { ...makeTicket(n, odd), id: `T-${n}`, _nango_metadata: meta(p, i) };
      });
      const text = JSON.stringify({ next_cursor: p < 3 ? `next-${p}` : null, records }).replace(/"@\w+"/g, (m) => spelled[m] ?? m);
      return { ...parseRecordsPage(JSON.parse(text)), body: Buffer.from(text) } satisfies RecordsPage;
    });
    const { state } = await writeBoth(pages);
    const byId = new Map(state.rows.map((row) => [row.id, row]));
    assert.equal(byId.get('T-7011')?.score, 0);
    assert.equal((byId.get('T-7011')?._nango_raw as Record<string, unknown>).score, 0);
    assert.equal((byId.get('T-7020')?._nango_raw as Record<string, unknown>).extra, null);
    assert.equal(byId.get('T-7030')?.points, '5');
    assert.equal(state.cursor, meta(3, 2).cursor);
  });
});
