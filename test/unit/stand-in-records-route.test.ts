import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';

import { startNangoStandIn, type NangoStandIn } from '../../stand-in/nango-stand-in.js';

const SECRET = randomUUID();
const PCK = 'github';
const CONN = 'acme';
const MODEL = 'Issue';

interface RecordsBody {
  next_cursor: string | null;
  records: Array<Record<string, unknown> & { id: string; _nango_metadata: Record<string, string | null> }>;
}

describe('GET /records on the stand-in', () => {
  let standIn: NangoStandIn;
  let nowMs = Date.UTC(2026, 5, 1, 12);

  before(async () => {
    standIn = await startNangoStandIn({ secretKey: SECRET, now: () => nowMs });
  });
  after(() => standIn.close());
  beforeEach(() => {
    standIn.store.removeConnection(PCK, CONN);
    standIn.store.addConnection({ providerConfigKey: PCK, connectionId: CONN });
  });

  async function get(query: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any; text: string }> {
    const res = await fetch(`${standIn.url}/records/?${query}`, {
      headers: { Authorization: `Bearer ${SECRET}`, 'Connection-Id': CONN, 'Provider-Config-Key': PCK, ...headers },
    });
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text), text };
  }

  async function pageAll(limit: number, onPage?: (page: number) => void): Promise<RecordsBody['records']> {
    const seen: RecordsBody['records'] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 1000; page++) {
      const { body } = (await get(`model=${MODEL}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)) as {
        body: RecordsBody;
      };
      seen.push(...body.records);
      onPage?.(page);
      if (body.next_cursor === null) return seen;
      assert.equal(body.next_cursor, body.records.at(-1)?._nango_metadata['cursor']);
      cursor = body.next_cursor;
    }
    throw new Error('did not reach the end');
  }

  const save = (payloads: object[]) => standIn.store.save(PCK, CONN, MODEL, payloads);

  it('paging to the end visits every record exactly once when nothing changes', async () => {
    for (let batch = 0; batch < 5; batch++) save(Array.from({ length: 50 }, (_, i) => ({ id: batch * 50 + i + 1, n: i })));
    const seen = await pageAll(7);
    assert.equal(seen.length, 250);
    assert.equal(new Set(seen.map((r) => r.id)).size, 250);
  });

  it('serialises next_cursor first, ids as strings and the full metadata', async () => {
    save([
      { id: 1, title: 'x' },
      { id: 2, title: 'y' },
    ]);
    const { text, body } = await get(`model=${MODEL}&limit=1`);
    assert.ok(text.startsWith('{"next_cursor":"'));
    const record = body.records[0];
    assert.equal(typeof record.id, 'string');
    assert.deepEqual(Object.keys(record._nango_metadata), [
      'first_seen_at',
      'last_modified_at',
      'last_action',
      'deleted_at',
      'pruned_at',
      'cursor',
    ]);
    assert.match(record._nango_metadata.last_modified_at, /^2026-06-01T12:00:00\.\d{1,6}\+00:00$/);
    const last = await get(`model=${MODEL}&limit=1&cursor=${encodeURIComponent(body.next_cursor)}`);
    assert.equal(last.body.next_cursor, null);
    assert.equal(last.body.records.length, 1);
  });

  it('ties on updated_at are broken by the internal uuid', async () => {
    save(Array.from({ length: 30 }, (_, i) => ({ id: i + 1 })));
    const { body } = await get(`model=${MODEL}&limit=100`);
    const stamps = new Set(body.records.map((r: any) => r._nango_metadata.last_modified_at));
    assert.equal(stamps.size, 1);
    const uuids = body.records.map((r: any) => Buffer.from(r._nango_metadata.cursor, 'base64').toString().split('||')[1]);
    assert.deepEqual(uuids, [...uuids].sort());
    assert.notDeepEqual(
      body.records.map((r: any) => r.id),
      body.records.map((r: any) => r.id).sort((a: string, b: string) => Number(a) - Number(b)),
    );
  });

  it('a record updated while a client pages shows up again later in the stream', async () => {
    save(Array.from({ length: 20 }, (_, i) => ({ id: i + 1, v: 1 })));
    let firstPageIds: string[] = [];
    const seen = await pageAll(5, (page) => {
      if (page === 0) {
        const snapshotIds = standIn.store.snapshot(PCK, CONN, MODEL).map((r) => r.id);
        firstPageIds = snapshotIds.slice(0, 5);
        save([{ id: Number(firstPageIds[0]), v: 2 }]);
      }
    });
    const occurrences = seen.filter((r) => r.id === firstPageIds[0]);
    assert.equal(occurrences.length, 2);
    assert.equal(occurrences[1]!['v'], 2);
    assert.equal(occurrences[1]!._nango_metadata['last_action'], 'UPDATED');
    assert.equal(seen.length, 21);
  });

  it('deleted records carry only the delete payload and last_action DELETED', async () => {
    save([{ id: 1, title: 'secret', body: 'long' }]);
    standIn.store.delete(PCK, CONN, MODEL, [{ id: 1 }]);
    const { body } = await get(`model=${MODEL}`);
    const [record] = body.records;
    assert.deepEqual(Object.keys(record), ['id', '_nango_metadata']);
    assert.equal(record._nango_metadata.last_action, 'DELETED');
    assert.equal(record._nango_metadata.deleted_at, record._nango_metadata.last_modified_at);
  });

  it('an undeleted record shows ADDED with a new first_seen_at', async () => {
    save([{ id: 1, title: 'x' }]);
    const first = (await get(`model=${MODEL}`)).body.records[0];
    nowMs += 5000;
    standIn.store.delete(PCK, CONN, MODEL, [{ id: 1 }]);
    nowMs += 5000;
    save([{ id: 1, title: 'x' }]);
    const again = (await get(`model=${MODEL}`)).body.records[0];
    assert.equal(again._nango_metadata.last_action, 'ADDED');
    assert.equal(again._nango_metadata.deleted_at, null);
    assert.notEqual(again._nango_metadata.first_seen_at, first._nango_metadata.first_seen_at);
    assert.equal(again._nango_metadata.first_seen_at, again._nango_metadata.last_modified_at);
  });

  it('a pruned record keeps its cursor position and has an empty payload', async () => {
    save([{ id: 1, title: 'x' }]);
    save([{ id: 2, title: 'y' }]);
    const before = (await get(`model=${MODEL}`)).body.records;
    standIn.store.prune(PCK, CONN, MODEL, ['1']);
    const afterPrune = (await get(`model=${MODEL}`)).body.records;
    assert.deepEqual(
      afterPrune.map((r: any) => r.id),
      ['1', '2'],
    );
    assert.deepEqual(Object.keys(afterPrune[0]), ['id', '_nango_metadata']);
    assert.equal(afterPrune[0]._nango_metadata.cursor, before[0]._nango_metadata.cursor);
    assert.notEqual(afterPrune[0]._nango_metadata.pruned_at, null);
    const resumed = (await get(`model=${MODEL}&cursor=${encodeURIComponent(before[0]._nango_metadata.cursor)}`)).body.records;
    assert.deepEqual(
      resumed.map((r: any) => r.id),
      ['2'],
    );
  });

  it('a cursor is positional: it still works after its record was hard-deleted', async () => {
    save([{ id: 1 }]);
    save([{ id: 2 }]);
    const cursor = (await get(`model=${MODEL}`)).body.records[0]._nango_metadata.cursor;
    standIn.store.hardDelete(PCK, CONN, MODEL, ['1']);
    const { body } = await get(`model=${MODEL}&cursor=${encodeURIComponent(cursor)}`);
    assert.deepEqual(
      body.records.map((r: any) => r.id),
      ['2'],
    );
  });

  it('an undecodable cursor answers 500 server_error', async () => {
    for (const cursor of ['not-a-cursor', Buffer.from('2026-01-01T00:00:00Z||nope').toString('base64')]) {
      const { status, body } = await get(`model=${MODEL}&cursor=${encodeURIComponent(cursor)}`);
      assert.equal(status, 500);
      assert.deepEqual(body, { error: { code: 'server_error', message: 'Failed to fetch records' } });
    }
  });

  it('an unknown connection answers 400 unknown_connection', async () => {
    const { status, body } = await get(`model=${MODEL}`, { 'Connection-Id': 'nobody' });
    assert.equal(status, 400);
    assert.equal(body.error.code, 'unknown_connection');
    standIn.store.removeConnection(PCK, CONN);
    assert.equal((await get(`model=${MODEL}`)).body.error.code, 'unknown_connection');
  });

  it('an unknown but valid model answers 200 with no records', async () => {
    const { status, text } = await get('model=Nothing');
    assert.equal(status, 200);
    assert.equal(text, '{"next_cursor":null,"records":[]}');
  });

  it('an unknown query parameter answers 400 invalid_query_params with zod issues', async () => {
    const { status, body } = await get(`model=${MODEL}&foo=1`);
    assert.equal(status, 400);
    assert.deepEqual(body, {
      error: { code: 'invalid_query_params', errors: [{ code: 'unrecognized_keys', message: 'Unrecognized key: "foo"', path: [] }] },
    });
  });

  it('rejects a missing or malformed model and a limit outside 1..10000', async () => {
    assert.deepEqual((await get('')).body.error.errors, [
      { code: 'invalid_type', message: 'Invalid input: expected string, received undefined', path: ['model'] },
    ]);
    assert.equal((await get('model=issue')).body.error.errors[0].code, 'invalid_format');
    for (const limit of ['0', '10001', 'abc', '']) assert.equal((await get(`model=${MODEL}&limit=${limit}`)).status, 400, `limit=${limit}`);
    assert.equal((await get(`model=${MODEL}&limit=10000`)).status, 200);
  });

  it('missing Connection-Id and Provider-Config-Key answer 400 invalid_headers', async () => {
    const res = await fetch(`${standIn.url}/records?model=${MODEL}`, { headers: { Authorization: `Bearer ${SECRET}` } });
    const body = (await res.json()) as any;
    assert.equal(res.status, 400);
    assert.equal(body.error.code, 'invalid_headers');
    assert.deepEqual(
      body.error.errors.map((e: any) => e.path),
      [['connection-id'], ['provider-config-key']],
    );
  });

  it('modified_after is inclusive, UTC Z form only, and within the last 12 months', async () => {
    save([{ id: 1 }]);
    nowMs += 60_000;
    save([{ id: 2 }]);
    const second = new Date(nowMs).toISOString();
    assert.deepEqual(
      (await get(`model=${MODEL}&modified_after=${second}`)).body.records.map((r: any) => r.id),
      ['2'],
    );
    assert.deepEqual(
      (await get(`model=${MODEL}&delta=${second}&modified_after=2026-01-01T00:00:00Z`)).body.records.map((r: any) => r.id),
      ['2'],
    );
    for (const bad of ['2026-06-01T12:00:00+00:00', '2026-06-01', '2026-06-01T12:00:00']) {
      assert.equal((await get(`model=${MODEL}&modified_after=${encodeURIComponent(bad)}`)).status, 400, bad);
    }
    const old = await get(`model=${MODEL}&modified_after=2025-05-01T00:00:00Z`);
    assert.equal(old.status, 400);
    assert.deepEqual(old.body.error.errors, [{ code: 'custom', message: 'must be within the last 12 months', path: ['modified_after'] }]);
  });

  it('filter follows the server switch, quirks included', async () => {
    save([{ id: 1 }, { id: 2 }, { id: 3 }]);
    save([{ id: 2, changed: true }]);
    standIn.store.delete(PCK, CONN, MODEL, [{ id: 3 }]);
    const ids = async (filter: string) => (await get(`model=${MODEL}&filter=${filter}`)).body.records.map((r: any) => r.id).sort();
    assert.deepEqual(await ids('added'), ['1']);
    assert.deepEqual(await ids('UPDATED'), ['2']);
    assert.deepEqual(await ids('deleted'), ['3']);
    assert.deepEqual(await ids('added,updated,deleted'), ['1', '2']);
    assert.deepEqual(await ids('updated,deleted'), ['2']);
    assert.deepEqual(await ids('added,added'), ['1', '2', '3']);
    assert.equal((await get(`model=${MODEL}&filter=Added`)).status, 400);
  });

  it('ids restricts the page to those external ids, single or repeated', async () => {
    save([{ id: 1 }, { id: 2 }, { id: 3 }]);
    assert.deepEqual(
      (await get(`model=${MODEL}&ids=2`)).body.records.map((r: any) => r.id),
      ['2'],
    );
    const many = (await get(`model=${MODEL}&ids=1&ids[]=3`)).body.records.map((r: any) => r.id).sort();
    assert.deepEqual(many, ['1', '3']);
  });

  it('a fractional limit passes validation but never yields a next_cursor (knex truncates LIMIT)', async () => {
    save([{ id: 1 }, { id: 2 }, { id: 3 }]);
    const { status, body } = await get(`model=${MODEL}&limit=1.5`);
    assert.equal(status, 200);
    assert.equal(body.records.length, 2);
    assert.equal(body.next_cursor, null);
  });

  it('an exception while answering becomes 500 generic_error_support with a support id', async () => {
    const store = standIn.store as unknown as Record<string, unknown>;
    store['orderedRecords'] = () => {
      throw new Error('boom');
    };
    try {
      const { status, body } = await get(`model=${MODEL}`);
      assert.equal(status, 500);
      assert.equal(body.error.code, 'generic_error_support');
      assert.match(body.error.message, new RegExp(`unique id: "${body.error.payload}"`));
      assert.equal((standIn.errors.at(-1) as Error).message, 'boom');
    } finally {
      delete store['orderedRecords'];
    }
  });

  it('answers /records without the trailing slash too', async () => {
    const res = await fetch(`${standIn.url}/records?model=${MODEL}`, {
      headers: { Authorization: `Bearer ${SECRET}`, 'Connection-Id': CONN, 'Provider-Config-Key': PCK },
    });
    assert.equal(res.status, 200);
  });
});
