import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { Queue } from 'bullmq';
import { sql } from 'kysely';
import type { BackfillStreamProgress } from '../../src/jobs/backfill/backfill-progress.js';
import type { BackfillSummary } from '../../src/jobs/backfill/summarize-backfill.js';
import { assertMatchesSource } from '../helpers/assert-matches-source.js';
import { backfill, openBackfillQueue, streamRow } from '../helpers/backfill-queue.js';
import { makeTicket, ticketJsonSchema } from '../helpers/ticket-model.js';
import { baseConfig, createWorkerFleet, type WorkerFleet } from '../helpers/worker-fleet.js';

const PCK = 'helpdesk';
const CONNECTIONS = ['acme', 'globex'];
const MODELS = [
  { name: 'Ticket', table: 'ticket', count: 45 },
  { name: 'Escalation', table: 'escalation', count: 12 },
] as const;
const TICKETS = { providerConfigKey: PCK, connectionId: 'acme', model: 'Ticket', variant: 'base' };

describe('a merge backfill', () => {
  let f: WorkerFleet;
  let queue: Queue;
  const source = () => f.standIn.store.snapshot(PCK, 'acme', 'Ticket');
  /** Each row's content without the time and transaction it was last written by, by id. */
  const contents = async () =>
    new Map(
      [...(await f.rows('ticket', 'acme'))].map(([id, { _nango_synced_at: _synced, _nango_txid: _txid, ...rest }]) => [
        id,
        JSON.stringify(rest),
      ]),
    );
  const changedIds = (before: Map<string, string>, after: Map<string, string>) =>
    [...new Set([...before.keys(), ...after.keys()])].filter((id) => before.get(id) !== after.get(id)).sort();

  before(async () => {
    f = await createWorkerFleet('backfill_merge');
    for (const connectionId of CONNECTIONS) f.standIn.store.addConnection({ providerConfigKey: PCK, connectionId });
    f.standIn.store.deploySync({
      providerConfigKey: PCK,
      name: 'tickets',
      models: MODELS.map((m) => ({ name: m.name, jsonSchema: ticketJsonSchema })),
      runs: 'every hour',
    });
    for (const connectionId of CONNECTIONS) {
      for (const model of MODELS)
        f.standIn.store.save(
          PCK,
          connectionId,
          model.name,
          Array.from({ length: model.count }, (_, n) => makeTicket(n)),
        );
    }
    f.writeConfig(baseConfig(f)); // no `streams`: nothing but backfills reads Nango here
    f.spawnWorker();
    queue = openBackfillQueue(f);
  });
  after(async () => {
    await queue.close();
    await f.close();
  });

  test('without connection and model it reads every stream of the integration, each a job with its own progress', async () => {
    const job = await backfill(queue, { providerConfigKey: PCK });
    assert.equal(await job.getState(), 'completed', job.failedReason);
    const summary = job.returnvalue as BackfillSummary;
    assert.equal(summary.streams, 4);
    assert.equal(summary.merged, 4);
    assert.equal(summary.records, 2 * (45 + 12));
    for (const connectionId of CONNECTIONS) {
      for (const model of MODELS)
        assertMatchesSource(await f.rows(model.table, connectionId), f.standIn.store.snapshot(PCK, connectionId, model.name));
    }
    const children = Object.keys((await job.getDependencies()).processed ?? {});
    assert.equal(children.length, 4);
    for (const key of children) {
      const child = await queue.getJob(key.slice(key.lastIndexOf(':') + 1));
      const progress = child?.progress as BackfillStreamProgress;
      const expected = MODELS.find((m) => m.name === child?.data.model)?.count;
      assert.equal(child?.name, 'backfill-stream');
      assert.equal(progress.records, expected, `progress of ${child?.id}`);
      assert.equal(progress.pages, Math.ceil((expected ?? 0) / 20));
      assert.equal(typeof progress.recordsPerSecond, 'number');
    }
  });

  test('after changes it updates exactly the rows that differ, and moves the cursor only forward', async () => {
    const cursorBefore = (await streamRow(f, TICKETS))?.cursor;
    const before = await contents();
    f.standIn.store.update(PCK, 'acme', 'Ticket', [
      { id: 'T-1', title: 'changed in Nango' },
      { id: 'T-2', points: 999 },
    ]);
    // Damage downstream, which no incremental sync would repair: a value overwritten, a row lost.
    await sql`UPDATE nango.ticket SET title = 'overwritten here' WHERE id = 'T-10' AND _nango_connection_id = 'acme'`.execute(f.db);
    await sql`DELETE FROM nango.ticket WHERE id = 'T-11' AND _nango_connection_id = 'acme'`.execute(f.db);

    const job = await backfill(queue, { ...TICKETS, mode: 'merge' });
    assert.equal(await job.getState(), 'completed', job.failedReason);
    assertMatchesSource(await f.rows('ticket', 'acme'), source());
    assert.deepEqual(changedIds(before, await contents()), ['T-1', 'T-2']);
    const cursorAfter = (await streamRow(f, TICKETS))?.cursor;
    assert.equal(cursorAfter, source().at(-1)?.cursor, 'the cursor is at the end of the stream');
    assert.notEqual(cursorAfter, cursorBefore);
  });

  test('with nothing new it rewrites no content and leaves the cursor exactly where it was', async () => {
    const cursorBefore = (await streamRow(f, TICKETS))?.cursor;
    const before = await contents();
    const job = await backfill(queue, { ...TICKETS });
    assert.equal((job.returnvalue as BackfillSummary).records, 45, 'every record was read again');
    assert.deepEqual(changedIds(before, await contents()), []);
    assert.equal((await streamRow(f, TICKETS))?.cursor, cursorBefore, 'not moved back to the first page');
  });

  test('since is sent as modified_after in UTC Z form and reads only what changed after it', async () => {
    const mark = Date.now();
    await sleep(20);
    f.standIn.store.update(PCK, 'acme', 'Ticket', [
      { id: 'T-5', title: 'after the mark' },
      { id: 'T-6', title: 'after the mark too' },
    ]);
    const since = new Date(mark + 2 * 3600_000).toISOString().replace('Z', '+02:00'); // the same instant, with an offset
    const requestsBefore = f.standIn.requests.length;

    const job = await backfill(queue, { ...TICKETS, since });
    assert.equal(await job.getState(), 'completed', job.failedReason);
    assert.equal((job.returnvalue as BackfillSummary).records, 2);
    const sent = f.standIn.requests.slice(requestsBefore).filter((r) => r.path.startsWith('/records'));
    assert.ok(sent.length > 0);
    for (const request of sent) assert.equal(request.query.modified_after, new Date(mark).toISOString());
    assertMatchesSource(await f.rows('ticket', 'acme'), source());
    assert.equal((await streamRow(f, TICKETS))?.cursor, source().at(-1)?.cursor);
  });
});
