import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Queue } from 'bullmq';
import { sql } from 'kysely';
import type { BackfillSummary } from '../../src/jobs/backfill/summarize-backfill.js';
import { assertMatchesSource } from '../helpers/assert-matches-source.js';
import { openBackfillQueue, settled } from '../helpers/backfill-queue.js';
import { seedTickets, TICKETS } from '../helpers/replication-fixture.js';
import { ticketJsonSchema } from '../helpers/ticket-model.js';
import { baseConfig, createWorkerFleet, waitUntil, type WorkerFleet } from '../helpers/worker-fleet.js';

const { providerConfigKey: PCK, connectionId: CONN, model: MODEL } = TICKETS;

describe('a worker shut down in the middle of a backfill', () => {
  let f: WorkerFleet;
  let queue: Queue;

  before(async () => {
    f = await createWorkerFleet('backfill_shutdown');
    f.standIn.store.addConnection({ providerConfigKey: PCK, connectionId: CONN });
    f.standIn.store.deploySync({
      providerConfigKey: PCK,
      name: 'tickets',
      models: [{ name: MODEL, jsonSchema: ticketJsonSchema }],
      runs: 'every hour',
    });
    seedTickets(f.standIn, 0, 400);
    f.writeConfig(baseConfig(f));
    queue = openBackfillQueue(f);
  });
  after(async () => {
    await queue.close();
    await f.close();
  });

  /** The `cursor` query of every `GET /records` the stand-in received from `from` on (undefined: from the beginning). */
  const recordsCursors = (from = 0) =>
    f.standIn.requests
      .slice(from)
      .filter((r) => r.path.startsWith('/records'))
      .map((r) => r.query.cursor as string | undefined);
  /** Pages each backfill run committed, oldest run first. */
  const backfillRunPages = async () =>
    (
      await sql<{ pages: number }>`SELECT pages FROM nango_replicator.runs WHERE kind = 'backfill' ORDER BY started_at`.execute(f.db)
    ).rows.map((r) => r.pages);

  /**
   * Starts a worker, adds the backfill, stops the worker with SIGTERM once `pages` pages committed, starts a second
   * worker and waits for the backfill to settle. Returns what each worker asked Nango for.
   */
  async function interruptedBackfill(data: Record<string, unknown>, pages: number) {
    const requestsBefore = f.standIn.requests.length;
    const runsBefore = (await backfillRunPages()).length;
    f.standIn.faults.delayNext(40, 150, { pathPrefix: '/records' }); // twenty pages, three seconds or more
    const first = f.spawnWorker();
    const job = await queue.add('backfill', { providerConfigKey: PCK, connectionId: CONN, model: MODEL, ...data });
    await first.waitForLog(/"msg":"backfill started"/);
    await first.waitForLog(new RegExp(`"page":${pages},[^\\n]*"msg":"page committed"`));
    first.child.kill('SIGTERM');
    const exit = await first.done;
    assert.equal(exit.code, 0, first.stderr().slice(-3000));
    assert.match(first.stderr(), /"msg":"backfill stopped before the end; it runs again later, after its last committed page"/);
    assert.equal(await (await queue.getJob(String(job.id)))?.getState(), 'waiting-children', 'the backfill waits for its stream');
    const firstRequests = recordsCursors(requestsBefore);
    const requestsAtRestart = f.standIn.requests.length;

    const second = f.spawnWorker();
    const done = await settled(queue, String(job.id), 60_000);
    assert.equal(await done.getState(), 'completed', done.failedReason);
    assert.match(second.stderr(), /"msg":"backfill continues after its last committed page"/);
    second.child.kill('SIGTERM');
    assert.equal((await second.done).code, 0);
    const [committed, ...rest] = (await backfillRunPages()).slice(runsBefore);
    assert.ok(committed !== undefined && committed >= pages && rest.length === 1, `runs of the backfill: ${committed}, ${rest}`);
    return {
      summary: done.returnvalue as BackfillSummary,
      /** The cursors of the pages the first worker committed: the first page has none. */
      committedCursors: firstRequests.slice(0, committed),
      secondRequests: recordsCursors(requestsAtRestart),
    };
  }

  test('a merge backfill goes on from its last committed page on the next worker, and the table matches the source', async () => {
    const { summary, committedCursors, secondRequests } = await interruptedBackfill({ mode: 'merge' }, 3);
    assert.ok(secondRequests.length > 0);
    assert.ok(
      secondRequests.every((cursor) => cursor !== undefined),
      'the second worker did not read from the beginning',
    );
    const again = secondRequests.filter((cursor) => committedCursors.includes(cursor));
    assert.deepEqual(again, [], 'no committed page was requested again');
    assert.deepEqual([summary.merged, summary.records, summary.upserted], [1, 400, 400], 'each record read once over both workers');
    await waitUntil(async () => assertMatchesSource(await f.rows('ticket', CONN), f.standIn.store.snapshot(PCK, CONN, MODEL)));
  });

  test('a replace backfill goes on too, and deletes exactly the rows neither worker saw', async () => {
    const gone = ['T-2', 'T-150', 'T-398'];
    f.standIn.store.hardDelete(PCK, CONN, MODEL, gone); // dropped by Nango without a tombstone
    const { summary, committedCursors, secondRequests } = await interruptedBackfill({ mode: 'replace' }, 2);
    assert.ok(
      secondRequests.every((cursor) => cursor !== undefined && !committedCursors.includes(cursor)),
      'no committed page was requested again',
    );
    assert.deepEqual([summary.replaced, summary.records, summary.unseenDeleted], [1, 397, 3]);
    const rows = await f.rows('ticket', CONN);
    const deleted = [...rows.values()].filter((r) => r._nango_deleted_at !== null).map((r) => r.id);
    assert.deepEqual(deleted.sort(), [...gone].sort(), 'the rows the first worker committed count as seen');
    const live = new Map([...rows].filter(([, r]) => r._nango_deleted_at === null));
    assertMatchesSource(live, f.standIn.store.snapshot(PCK, CONN, MODEL));
  });
});
