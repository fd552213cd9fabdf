import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';

import { startNangoStandIn, type NangoStandIn } from '../../stand-in/nango-stand-in.js';

const SECRET = randomUUID();
const PCK = 'github';
const CONN = 'acme';
const MODEL = 'Issue';

type Meta = Record<string, string | null>;

describe('PATCH /records/prune on the stand-in (docs/nango-api.md 1.8)', () => {
  let standIn: NangoStandIn;

  before(async () => {
    standIn = await startNangoStandIn({ secretKey: SECRET });
  });
  after(() => standIn.close());
  beforeEach(() => {
    standIn.store.removeConnection(PCK, CONN);
    standIn.store.addConnection({ providerConfigKey: PCK, connectionId: CONN });
  });

  const headers = { Authorization: `Bearer ${SECRET}`, 'Connection-Id': CONN, 'Provider-Config-Key': PCK };

  async function prune(body: object, extra: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    const res = await fetch(`${standIn.url}/records/prune`, {
      method: 'PATCH',
      headers: { ...headers, 'Content-Type': 'application/json', ...extra },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }

  async function readAll(): Promise<Array<Record<string, unknown> & { id: string; _nango_metadata: Meta }>> {
    const res = await fetch(`${standIn.url}/records?model=${MODEL}&limit=1000`, { headers });
    return ((await res.json()) as { records: Array<Record<string, unknown> & { id: string; _nango_metadata: Meta }> }).records;
  }

  it('empties the payloads up to and including the cursor; the records keep id, metadata and position', async () => {
    standIn.store.save(PCK, CONN, MODEL, [
      { id: 1, title: 'a' },
      { id: 2, title: 'b' },
    ]);
    standIn.store.save(PCK, CONN, MODEL, [{ id: 3, title: 'c' }]);
    const before = await readAll();
    const until = before[1]!._nango_metadata['cursor']!;

    const answer = await prune({ model: MODEL, until_cursor: until });

    assert.deepEqual(answer, { status: 200, body: { count: 2, has_more: false } });
    const after = await readAll();
    assert.deepEqual(
      after.map((r) => r.id),
      before.map((r) => r.id),
      'positions do not move',
    );
    for (const record of after.slice(0, 2)) {
      assert.deepEqual(Object.keys(record).sort(), ['_nango_metadata', 'id'], 'only id and _nango_metadata are left');
      assert.notEqual(record._nango_metadata['pruned_at'], null);
    }
    assert.deepEqual(
      after.map((r) => r._nango_metadata['cursor']),
      before.map((r) => r._nango_metadata['cursor']),
    );
    assert.equal(after[2]!['title'], 'c');
    assert.equal(after[2]!._nango_metadata['pruned_at'], null, 'past the cursor nothing is pruned');
  });

  it('prunes at most limit records a request and says whether more may remain; pruned ones are not counted again', async () => {
    standIn.store.save(
      PCK,
      CONN,
      MODEL,
      Array.from({ length: 5 }, (_, i) => ({ id: i + 1 })),
    );
    const until = (await readAll()).at(-1)!._nango_metadata['cursor']!;
    assert.deepEqual((await prune({ model: MODEL, until_cursor: until, limit: 3 })).body, { count: 3, has_more: true });
    assert.deepEqual((await prune({ model: MODEL, until_cursor: until, limit: 3 })).body, { count: 2, has_more: false });
    assert.deepEqual((await prune({ model: MODEL, until_cursor: until, limit: 3 })).body, { count: 0, has_more: false });
  });

  it('prunes the records of the variant named, and only those', async () => {
    standIn.store.save(PCK, CONN, MODEL, [{ id: 1, title: 'base' }]);
    standIn.store.save(PCK, CONN, `${MODEL}::v1`, [{ id: 1, title: 'v1' }]);
    const res = await fetch(`${standIn.url}/records?model=${MODEL}&variant=v1`, { headers });
    const until = ((await res.json()) as { records: Array<{ _nango_metadata: Meta }> }).records[0]!._nango_metadata['cursor']!;
    assert.deepEqual((await prune({ model: MODEL, variant: 'v1', until_cursor: until })).body, { count: 1, has_more: false });
    assert.equal(standIn.store.snapshot(PCK, CONN, `${MODEL}::v1`)[0]!.prunedAt !== null, true);
    assert.equal(standIn.store.snapshot(PCK, CONN, MODEL)[0]!.payload['title'], 'base', 'the base stream keeps its payload');
  });

  it('refuses a bad body, an unknown connection and an undecodable cursor as Nango does', async () => {
    assert.equal((await prune({ model: MODEL })).status, 400);
    assert.equal((await prune({ model: MODEL, until_cursor: 'x', limit: 10001 })).status, 400);
    const unknown = await prune({ model: MODEL, until_cursor: 'x' }, { 'Connection-Id': 'nobody' });
    assert.deepEqual([unknown.status, unknown.body.error.code], [400, 'unknown_connection']);
    assert.equal((await prune({ model: MODEL, until_cursor: 'bm90IGEgY3Vyc29y' })).status, 500);
  });
});
