import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { probeCursors } from '../faults/invariant-probe.js';
import { diffAgainstSource } from '../faults/source-diff.js';
import { createReplicationFixture, type ReplicationFixture, seedTickets, TICKETS } from '../helpers/replication-fixture.js';
import { makeTicket } from '../helpers/ticket-model.js';

const { providerConfigKey: PCK, connectionId: CONN, model: MODEL } = TICKETS;

describe("the survival suite's checks see what they claim to see", () => {
  let f: ReplicationFixture;
  before(async () => {
    f = await createReplicationFixture('faults_probe');
  });
  after(async () => {
    await f.close();
  });

  test('a replicated stream, changed in the source after its read, passes the probe and the diff', async () => {
    seedTickets(f.standIn, 0, 90);
    await f.sync();
    f.standIn.store.update(PCK, CONN, MODEL, [{ id: 'T-3', title: 'changed after the read' }]);
    f.standIn.store.save(PCK, CONN, MODEL, [makeTicket(500)]);
    assert.deepEqual(await probeCursors(f.db, f.standIn), [], 'records changed after the cursor are not expected yet');
    await f.sync();
    assert.deepEqual(await diffAgainstSource(f.db, f.standIn, [TICKETS]), { lost: 0, duplicated: 0, examples: [] });
  });

  test('a row missing at or before the stored cursor is a cursor ahead of its rows', async () => {
    await sql`DELETE FROM nango.ticket WHERE id = 'T-10'`.execute(f.db);
    const ahead = await probeCursors(f.db, f.standIn);
    assert.equal(ahead.length, 1);
    assert.equal(ahead[0]?.recordId, 'T-10');
    assert.equal(ahead[0]?.reason, 'missing');
    assert.equal((await diffAgainstSource(f.db, f.standIn, [TICKETS])).lost, 1);
  });

  test('an older version of a record behind the cursor is ahead too, and counts as lost', async () => {
    await f.reset();
    seedTickets(f.standIn, 0, 40);
    await f.sync();
    f.standIn.store.update(PCK, CONN, MODEL, [{ id: 'T-1', title: 'newer' }]);
    await f.sync();
    // Put the stored row back to the version before the update, as a lost page write would leave it.
    const older = f.standIn.store.snapshot(PCK, CONN, MODEL).find((r) => r.id === 'T-2');
    await sql`UPDATE nango.ticket SET _nango_cursor = ${older?.cursor}, title = 'old' WHERE id = 'T-1'`.execute(f.db);
    const ahead = await probeCursors(f.db, f.standIn);
    assert.equal(ahead[0]?.reason, 'older version');
    assert.equal((await diffAgainstSource(f.db, f.standIn, [TICKETS])).lost, 1);
  });

  test('rows the source does not have, and live rows the source deleted, are duplicates', async () => {
    await f.reset();
    seedTickets(f.standIn, 0, 40);
    await f.sync();
    await sql`UPDATE nango.ticket SET id = 'ghost' WHERE id = 'T-6'`.execute(f.db);
    f.standIn.store.delete(PCK, CONN, MODEL, [{ id: 'T-7' }]);
    const diff = await diffAgainstSource(f.db, f.standIn, [TICKETS]);
    // T-6 renamed: one lost (T-6 missing), one duplicated (ghost); T-7 deleted in the source, live here: duplicated.
    assert.equal(diff.lost, 1);
    assert.equal(diff.duplicated, 2);
  });
});
