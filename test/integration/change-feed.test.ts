import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { sql } from 'kysely';
import { CHANGES_CHANNEL, type ChangesNotice } from '../../src/write/notify-changes.js';
import { createFeedFixture, type FeedFixture, type FeedStream, readFeed, waitForLockWaits } from '../helpers/feed-fixture.js';

/** A small seeded PRNG (mulberry32): the interleavings are random but the same on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Holds the stream's row locked in a transaction of its own: a page of that stream writes its rows, then waits to set
 * its cursor. With `moveTo`, the gate moves the stream's cursor itself (another run did), so the page rolls back.
 */
async function gate(client: pg.Client, stream: FeedStream, moveTo?: string): Promise<() => Promise<void>> {
  await client.query('BEGIN');
  await client.query('SELECT 1 FROM nango_replicator.streams WHERE id = $1 FOR UPDATE', [stream.streamId]);
  if (moveTo !== undefined) {
    await client.query('UPDATE nango_replicator.streams SET cursor = $2 WHERE id = $1', [stream.streamId, moveTo]);
    stream.cursor = moveTo;
  }
  return async () => {
    await client.query('COMMIT');
  };
}

describe('the change feed', () => {
  let f: FeedFixture;
  let reader: pg.Client;
  const ITERATIONS = Number(process.env.FEED_ITERATIONS ?? 30);
  const WRITERS = 5;

  before(async () => {
    f = await createFeedFixture('change_feed', WRITERS + 1);
    reader = await f.client();
  });
  after(async () => {
    await f?.close();
  });

  test('a reader keeping its watermark sees every committed change at least once and nothing uncommitted, whatever the commit order', async () => {
    const next = random(21);
    const gates = await Promise.all(Array.from({ length: WRITERS + 1 }, () => f.client()));
    const written = new Set<string>(); // `connection/id/title` of every committed version
    const doomedTitles = new Set<string>();
    const seen = new Set<string>();
    let watermark: string | null = null;
    let naiveMark: bigint | null = null; // max(_nango_txid) + 1: what a reader must not do
    let naiveMissed = 0;
    const naiveSeen = new Set<string>();
    const read = async () => {
      const feed = await readFeed(reader, watermark);
      watermark = feed.watermark;
      for (const c of feed.changes) seen.add(`${c.connection_id}/${c.id}/${String(c.data?.title)}`);
      const naive = await readFeed(reader, naiveMark === null ? null : naiveMark.toString());
      for (const c of naive.changes) {
        naiveSeen.add(`${c.connection_id}/${c.id}/${String(c.data?.title)}`);
        const txid = BigInt(c.txid);
        if (naiveMark === null || txid + 1n > naiveMark) naiveMark = txid + 1n;
      }
    };

    for (let iteration = 0; iteration < ITERATIONS; iteration++) {
      // Each writer its own stream this round, so their rows never meet; the last stream's writer is doomed: it
      // expects a cursor its stream does not have, so its page rolls back after writing its rows.
      const order = f.streams
        .slice(0, WRITERS)
        .sort(() => next() - 0.5)
        .slice(0, 2 + Math.floor(next() * (WRITERS - 1)));
      const doomed = next() < 0.3 ? f.streams[WRITERS] : undefined;
      const writers = [...order, ...(doomed ? [doomed] : [])];
      const expected: string[] = [];
      // The doomed page expects the cursor its stream has now; its gate moves it (another run did): it rolls back.
      const expectedCursors = writers.map((stream) => stream.cursor);
      const moved = f.record(0)._nango_metadata.cursor;
      const releases = await Promise.all(
        writers.map((stream, i) => gate(gates[i] as pg.Client, stream, stream === doomed ? moved : undefined)),
      );
      const outcomes = writers.map((stream) => {
        const records = Array.from({ length: 1 + Math.floor(next() * 4) }, (_, k) => {
          const title = `round ${iteration} ${stream.key.connectionId} #${k}`;
          if (stream === doomed) doomedTitles.add(title);
          else expected.push(`${stream.key.connectionId}/T-${k}/${title}`);
          return f.record(k, { title });
        });
        return f.write(stream, records, { expectedCursor: expectedCursors[writers.indexOf(stream)] ?? null }).then(
          () => 'committed',
          (error: unknown) => (stream === doomed ? 'rolled back' : Promise.reject(error)),
        );
      });
      await waitForLockWaits(reader, writers.length);
      if (next() < 0.5) await read();
      // Release in random order: transactions that started (and took their ids) first often commit last.
      const releaseOrder = writers.map((_, i) => i).sort(() => next() - 0.5);
      for (const i of releaseOrder) {
        await (releases[i] as () => Promise<void>)();
        assert.equal(await outcomes[i], writers[i] === doomed ? 'rolled back' : 'committed');
        if (next() < 0.6) await read();
      }
      for (const e of expected) written.add(e);
      await read();
      for (const e of expected) assert.ok(seen.has(e), `round ${iteration}: ${e} was committed and the reader missed it`);
    }
    for (const s of seen) assert.ok(written.has(s), `the reader saw ${s}, which was never committed`);
    for (const title of doomedTitles) assert.ok(![...seen].some((s) => s.endsWith(`/${title}`)), `${title} was rolled back`);
    for (const e of written) if (!naiveSeen.has(e)) naiveMissed++;
    assert.ok(naiveMissed > 0, 'the interleavings are ones where max(_nango_txid) as a watermark loses changes');
  });

  test('a re-read of unchanged records writes no row, leaves the feed empty and notifies nothing', async () => {
    const stream = f.streams[0] as FeedStream;
    const records = Array.from({ length: 20 }, (_, n) => f.record(100 + n));
    await f.write(stream, records);
    const listener = await f.client();
    const notices: string[] = [];
    listener.on('notification', (n) => notices.push(n.payload ?? ''));
    await listener.query(`LISTEN ${CHANGES_CHANNEL}`);
    const { watermark } = await readFeed(reader, null);
    // Read from one watermark before and after: rows may come again (a transaction anywhere on the server holds the
    // watermark back), but the re-read must add none.
    const feedFrom = async () => (await readFeed(reader, watermark)).changes.map((c) => `${c.connection_id}/${c.id}@${c.txid}`).sort();
    const feedBefore = await feedFrom();
    const versions = async () =>
      (await sql<{ v: string }>`SELECT string_agg(id || ':' || xmin::text, ',' ORDER BY id) AS v FROM nango.ticket`.execute(f.db)).rows[0]
        ?.v;
    const before = await versions();
    // The same records again, later positions (a merge backfill, the safety net): nothing changed.
    const again = records.map((r) => ({ ...f.record(Number(r.id.slice(2))), _nango_metadata: { ...f.record(0)._nango_metadata } }));
    const result = await f.write(stream, again, { expectedCursor: stream.cursor });
    assert.equal(result.upserted, 0);
    assert.equal(await versions(), before, 'no row has a new version');
    assert.deepEqual(await feedFrom(), feedBefore, 'the feed gained nothing');
    // A change after it is heard: so nothing was pending from the re-read either.
    await f.write(stream, [f.record(100, { title: 'changed' })]);
    await waitFor(() => notices.length > 0);
    assert.equal(notices.length, 1);
    assert.deepEqual(JSON.parse(notices[0] as string), { table: 'nango.ticket', stream: stream.key, count: 1 } satisfies ChangesNotice);
  });

  test('the notification comes after the commit, never before, and the change is readable when it does', async () => {
    const stream = f.streams[1] as FeedStream;
    const listener = await f.client();
    const notices: ChangesNotice[] = [];
    let visibleOnNotice: number | null = null;
    const checker = await f.client();
    listener.on('notification', (n) => {
      notices.push(JSON.parse(n.payload ?? '{}') as ChangesNotice);
      void checker
        .query(`SELECT count(*)::int AS n FROM nango.ticket WHERE _nango_connection_id = $1 AND title LIKE 'heard %'`, [
          stream.key.connectionId,
        ])
        .then((r) => (visibleOnNotice = r.rows[0]?.n as number));
    });
    await listener.query(`LISTEN ${CHANGES_CHANNEL}`);
    const blocker = await f.client();
    const release = await gate(blocker, stream);
    const writing = f.write(stream, [f.record(200, { title: 'heard 1' }), f.record(201, { title: 'heard 2' })]);
    await waitForLockWaits(reader, 1); // the page has written its rows (and queued its notification) and waits
    // Round trips on the listener's connection deliver whatever is pending to it.
    await listener.query('SELECT 1');
    assert.deepEqual(notices, [], 'nothing is heard while the transaction is open');
    await release();
    await writing;
    await waitFor(() => visibleOnNotice !== null);
    assert.deepEqual(notices, [{ table: 'nango.ticket', stream: stream.key, count: 2 }]);
    assert.equal(visibleOnNotice, 2, 'on hearing it, the listener reads both rows');
  });

  test('soft deletes come as updates; hard deletes leave tombstones in the feed', async () => {
    const stream = f.streams[2] as FeedStream;
    await f.write(stream, [f.record(300), f.record(301)]);
    const { watermark } = await readFeed(reader, null);
    const deletedAt = new Date(Date.UTC(2031, 0, 1)).toISOString();
    await f.write(stream, [f.record(300, {}, { deleted_at: deletedAt, last_action: 'DELETED' })]);
    await f.write(stream, [f.record(301, {}, { deleted_at: deletedAt, last_action: 'DELETED' })], { deletes: 'hard' });
    const feed = await readFeed(reader, watermark);
    const mine = feed.changes.filter(
      (c) => c.connection_id === stream.key.connectionId && ['T-300', 'T-301'].includes(c.id) && c.change !== 'upsert',
    );
    assert.deepEqual(
      mine.map((c) => [c.change, c.id]),
      [
        ['soft_delete', 'T-300'],
        ['hard_delete', 'T-301'],
      ],
    );
    assert.ok(BigInt(mine[0]?.txid ?? 0) < BigInt(mine[1]?.txid ?? 0), 'in commit order of their transactions');
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let polls = 0; polls < 1_000 && !condition(); polls++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(condition(), 'the condition came true');
}
