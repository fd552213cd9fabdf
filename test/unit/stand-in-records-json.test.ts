import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';

import { startNangoStandIn, type NangoStandIn } from '../../stand-in/nango-stand-in.js';
import { decodeCursor } from '../../stand-in/record-cursor.js';
import { RecordStore } from '../../stand-in/record-store.js';
import { recordsFilter } from '../../stand-in/records-filter.js';
import { renderMetadata, renderRecord } from '../../stand-in/render-record.js';
import { recordsPageJson, renderRecordJson } from '../../stand-in/render-record-json.js';
import { selectRecords } from '../../stand-in/select-records.js';
import type { StoredRecord } from '../../stand-in/stored-record.js';

const PCK = 'github';
const CONN = 'acme';
const MODEL = 'Issue';

/** What GET /records sent before page bodies were built from cached renderings. */
function renderedThen(nextCursor: string | null, rows: readonly StoredRecord[]): string {
  return JSON.stringify({ next_cursor: nextCursor, records: rows.map(renderRecord) });
}

/** Payloads with the shapes that matter to serialisation: integer-like keys, `id` and `_nango_metadata` inside, unicode. */
function payload(n: number, variant = 0): object {
  return {
    title: `issue ${n} v${variant} é ☃ "quoted" \\ \u2028`,
    2: 'integer-like key',
    id: n,
    labels: [variant, { nested: n % 3 === 0 ? null : 1.5 }],
    _nango_metadata: 'shadowed by the real metadata',
    ...(variant > 0 ? { extra: variant } : {}),
  };
}

describe('GET /records bodies built from cached renderings', () => {
  let nowMs: number;
  let store: RecordStore;

  beforeEach(() => {
    nowMs = Date.UTC(2026, 5, 1, 12);
    store = new RecordStore({ now: () => nowMs });
    store.addConnection({ providerConfigKey: PCK, connectionId: CONN });
  });

  const rows = () => store.orderedRecords(store.findConnection(PCK, CONN)!, MODEL);

  /** Renders everything (filling the caches), then checks every row and a few pages against a fresh rendering. */
  function assertSameAsFreshRendering(step: string): void {
    const all = rows();
    for (const row of all)
      assert.equal(renderRecordJson(row).toString(), JSON.stringify(renderRecord(row)), `${step}: row ${row.externalId}`);
    for (const [start, end] of [
      [0, all.length],
      [0, 3],
      [2, 7],
      [all.length - 1, all.length],
    ] as const) {
      const page = all.slice(start, end);
      const cursor = end < all.length && page.length > 0 ? renderMetadata(page.at(-1)!).cursor : null;
      assert.equal(recordsPageJson(cursor, page).toString(), renderedThen(cursor, page), `${step}: page ${start}..${end}`);
    }
  }

  it('is byte for byte the old rendering after every kind of write, including writes to rows already rendered', () => {
    store.save(
      PCK,
      CONN,
      MODEL,
      Array.from({ length: 10 }, (_, i) => payload(i + 1)),
    );
    assertSameAsFreshRendering('first save (ties: one updated_at)');
    nowMs += 1000;
    store.save(PCK, CONN, MODEL, [payload(1, 1), payload(2)]);
    assertSameAsFreshRendering('save: one changed, one identical');
    store.update(PCK, CONN, MODEL, [{ id: 3, labels: ['merged'], title: 'partial' }, { id: 4 }]);
    assertSameAsFreshRendering('update (deep merge)');
    store.delete(PCK, CONN, MODEL, [{ id: 5 }, { id: 6, deletedAt: '2026-05-30T00:00:00.123Z' }, { id: 'tombstone' }]);
    assertSameAsFreshRendering('soft delete, with deletedAt, of an unknown id');
    store.delete(PCK, CONN, MODEL, [{ id: 5, reason: 'deleted again' }]);
    assertSameAsFreshRendering('delete of a deleted row');
    store.prune(PCK, CONN, MODEL, ['7', '8', '5']);
    assertSameAsFreshRendering('prune of some ids');
    store.save(PCK, CONN, MODEL, [payload(7)]);
    assertSameAsFreshRendering('identical save restores a pruned payload without moving');
    store.update(PCK, CONN, MODEL, [{ id: 8 }]);
    assertSameAsFreshRendering('identical update restores a pruned payload');
    store.save(PCK, CONN, MODEL, [payload(5, 2)]);
    assertSameAsFreshRendering('save undeletes');
    store.hardDelete(PCK, CONN, MODEL, ['9']);
    assertSameAsFreshRendering('hard delete');
    store.prune(PCK, CONN, MODEL);
    assertSameAsFreshRendering('prune of everything');
    nowMs += 1000;
    store.save(
      PCK,
      CONN,
      MODEL,
      Array.from({ length: 12 }, (_, i) => payload(i + 1, 3)),
    );
    assertSameAsFreshRendering('everything saved anew');
    assert.equal(recordsPageJson(null, []).toString(), renderedThen(null, []), 'an empty page');
  });
});

describe('GET /records over HTTP with cached renderings', () => {
  const secret = randomUUID();
  let standIn: NangoStandIn;
  let nowMs = Date.UTC(2026, 5, 1, 12);

  before(async () => {
    standIn = await startNangoStandIn({ secretKey: secret, now: () => nowMs });
  });
  after(() => standIn.close());

  it('sends for every filter, page by page, exactly what JSON.stringify of the rendered page gave', async () => {
    const store = standIn.store;
    store.addConnection({ providerConfigKey: PCK, connectionId: CONN });
    store.save(
      PCK,
      CONN,
      MODEL,
      Array.from({ length: 20 }, (_, i) => payload(i + 1)),
    );
    nowMs += 1000;
    store.save(PCK, CONN, MODEL, [payload(2, 1), payload(3, 1)]);
    store.delete(PCK, CONN, MODEL, [{ id: 4 }, { id: 5 }]);
    store.prune(PCK, CONN, MODEL, ['6', '4']);
    const connection = store.findConnection(PCK, CONN)!;

    for (const filter of [undefined, 'added', 'updated', 'deleted', 'added,updated', 'updated,deleted', 'ADDED,deleted', 'added,added']) {
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query = new URLSearchParams({ model: MODEL, limit: '3', ...(filter ? { filter } : {}), ...(cursor ? { cursor } : {}) });
        const res = await fetch(`${standIn.url}/records?${query}`, {
          headers: { Authorization: `Bearer ${secret}`, 'Connection-Id': CONN, 'Provider-Config-Key': PCK },
        });
        assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
        const text = await res.text();
        const selected = selectRecords(store.orderedRecords(connection, MODEL), {
          after: cursor === null ? undefined : decodeCursor(cursor),
          predicate: recordsFilter(filter),
          fetchCount: 4,
        });
        const hasMore = selected.length === 4;
        const page = selected.slice(0, 3);
        const expected = renderedThen(hasMore ? renderMetadata(page.at(-1)!).cursor : null, page);
        assert.equal(text, expected, `filter ${filter ?? 'none'}, page ${pages}`);
        assert.equal(res.headers.get('content-length'), String(Buffer.byteLength(expected)));
        cursor = (JSON.parse(text) as { next_cursor: string | null }).next_cursor;
        pages += 1;
      } while (cursor !== null);
      // Between filters, change a row that has been served (and cached) to check it is rendered anew.
      nowMs += 1000;
      store.update(PCK, CONN, MODEL, [{ id: 1, touched: filter ?? 'none' }]);
    }
  });
});
