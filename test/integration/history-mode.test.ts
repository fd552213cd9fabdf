import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { NangoRecord } from '../../src/write/records-page.js';
import { deleteUnseenRows } from '../../src/write/delete-unseen-rows.js';
import { ensureModelTable } from '../../src/store/ensure-model-table.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { createFeedFixture, type FeedFixture, type FeedStream, TICKET_FIELDS } from '../helpers/feed-fixture.js';

interface Version {
  id: string;
  title: string | null;
  points: string | null;
  deleted: boolean;
  open: boolean;
}

describe('history mode', () => {
  let f: FeedFixture;
  before(async () => {
    f = await createFeedFixture('history_mode', 1);
  });
  after(async () => {
    await f?.close();
  });

  const versions = async (): Promise<Version[]> =>
    (
      await sql<Version>`
        SELECT id, title, points::text AS points, _nango_is_deleted AS deleted, _nango_valid_to IS NULL AS open
        FROM nango.ticket_history ORDER BY id, _nango_history_id`.execute(f.db)
    ).rows;

  test('switched on for a table with rows, it starts from them; then every version served is kept, and nothing else', async () => {
    const stream = f.streams[0] as FeedStream;
    await f.write(stream, [f.record(1, { title: 'one' }), f.record(2, { title: 'two' })]);
    // History switched on for the existing table: one version per row, valid from now.
    const { logger, text } = captureLogger('info');
    const layout = await ensureModelTable(
      { db: f.db, logger },
      { schema: 'nango', model: 'Ticket', fields: TICKET_FIELDS, fillfactor: 100, history: true },
    );
    assert.equal(layout.history, 'ticket_history');
    assert.match(text(), /history began/);
    const since = await f.db.selectFrom('nango_replicator.model_tables').select('history_since').executeTakeFirstOrThrow();
    assert.ok(since.history_since instanceof Date);
    f.layout = layout;

    const deletedAt = { deleted_at: new Date(Date.UTC(2031, 0, 1)).toISOString(), last_action: 'DELETED' as const };
    const served: NangoRecord[][] = [
      [f.record(1, { title: 'one, edited' }), f.record(3, { title: 'three' })], // an update and a new record
      [f.record(1, { title: 'one, edited' }), f.record(2, { title: 'two' })], // unchanged: nothing
      [f.record(2, { title: 'two' }, deletedAt)], // a deletion
      [f.record(2, { title: 'two, back' })], // an undelete
      [f.record(3, {}, { pruned_at: new Date(Date.UTC(2031, 1, 1)).toISOString() })], // a prune: nothing
      [f.record(1, { title: 'one, edited', points: 77 })], // an update of a value
    ];
    for (const page of served) await f.write(stream, page);
    await f.write(stream, [f.record(3, {}, deletedAt)], { deletes: 'hard' }); // a hard delete

    const v = (id: string, title: string, points: string, deleted: boolean, open: boolean): Version => ({
      id,
      title,
      points,
      deleted,
      open,
    });
    assert.deepEqual(await versions(), [
      v('T-1', 'one', '3', false, false),
      v('T-1', 'one, edited', '3', false, false),
      v('T-1', 'one, edited', '77', false, true),
      v('T-2', 'two', '6', false, false),
      v('T-2', 'two', '6', true, false),
      v('T-2', 'two, back', '6', false, true),
      v('T-3', 'three', '9', false, false),
      v('T-3', 'three', '9', true, true),
    ]);
  });

  test('the table as it was at a past instant: <table>_as_of(at)', async () => {
    const { rows } = await sql<{ id: string; title: string; deleted: boolean }>`
      SELECT id, title, _nango_is_deleted AS deleted FROM nango.ticket_as_of(
        (SELECT _nango_valid_from FROM nango.ticket_history WHERE id = 'T-2' AND _nango_is_deleted)) ORDER BY id`.execute(f.db);
    assert.deepEqual(rows, [
      { id: 'T-1', title: 'one, edited', deleted: false },
      { id: 'T-2', title: 'two', deleted: true },
      { id: 'T-3', title: 'three', deleted: false },
    ]);
    const before = await sql<{ n: number }>`SELECT count(*)::int AS n FROM nango.ticket_as_of('2020-01-01')`.execute(f.db);
    assert.equal(before.rows[0]?.n, 0, 'nothing is known from before history began');
  });

  test('a row a replace pass did not see closes its version and adds a deleted one', async () => {
    const stream = f.streams[0] as FeedStream;
    const { rows } = await sql<{ now: Date }>`SELECT now() AS now`.execute(f.db);
    await f.write(stream, [f.record(1, { title: 'one, edited', points: 77 })]); // unchanged: a pass that saw only T-1
    await sql`INSERT INTO nango_replicator.pass_records VALUES (${stream.streamId}, 'T-1')`.execute(f.db);
    const result = await deleteUnseenRows(f.db, {
      layout: f.layout,
      stream: stream.key,
      passStartedAt: rows[0]?.now as Date,
      deletes: 'soft',
      maxDeleteFraction: 1,
      force: true,
    });
    assert.deepEqual(result, { refused: false, deleted: 1, liveRows: 2 });
    const t2 = (await versions()).filter((x) => x.id === 'T-2');
    assert.deepEqual(t2.slice(-2), [
      { id: 'T-2', title: 'two, back', points: '6', deleted: false, open: false },
      { id: 'T-2', title: 'two, back', points: '6', deleted: true, open: true },
    ]);
    assert.equal((await versions()).filter((x) => x.id === 'T-1').length, 3, 'T-1 was seen: no new version');
  });
});
