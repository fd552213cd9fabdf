import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Queue } from 'bullmq';
import type { BackfillSummary } from '../../src/jobs/summarize-backfill.js';
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
    f.standIn.store.deploySync({ providerConfigKey: PCK, name: 'tickets', models: [{ name: MODEL, jsonSchema: ticketJsonSchema }], runs: 'every hour' });
    seedTickets(f.standIn, 0, 400);
    f.writeConfig(baseConfig(f));
    queue = openBackfillQueue(f);
  });
  after(async () => {
    await queue.close();
    await f.close();
  });

  test('stops after its page in flight, exits 0, and the backfill is finished by the next worker', async () => {
    f.standIn.faults.delayNext(40, 150, { pathPrefix: '/records' }); // twenty pages, three seconds or more
    const first = f.spawnWorker();
    const job = await queue.add('backfill', { providerConfigKey: PCK, connectionId: CONN, model: MODEL, mode: 'replace' });
    await first.waitForLog(/"msg":"backfill started"/);
    await first.waitForLog(/"page":2,[^\n]*"msg":"page committed"/);
    first.child.kill('SIGTERM');
    const exit = await first.done;
    assert.equal(exit.code, 0, first.stderr().slice(-3000));
    assert.match(first.stderr(), /"msg":"backfill stopped before the end; it runs again later"/);
    assert.equal(await (await queue.getJob(String(job.id)))?.getState(), 'waiting-children', 'the backfill waits for its stream');
    assert.equal(await f.db.selectFrom('nango_replicator.streams').select('last_backfill').executeTakeFirst().then((r) => r?.last_backfill ?? null), null, 'a partial replace pass deleted nothing and recorded nothing');

    const second = f.spawnWorker();
    const done = await settled(queue, String(job.id), 60_000);
    assert.equal(await done.getState(), 'completed', done.failedReason);
    const summary = done.returnvalue as BackfillSummary;
    assert.deepEqual([summary.replaced, summary.records, summary.unseenDeleted], [1, 400, 0], 'the pass started over and read everything');
    await waitUntil(async () => assertMatchesSource(await f.rows('ticket', CONN), f.standIn.store.snapshot(PCK, CONN, MODEL)));
    second.child.kill('SIGTERM');
    assert.equal((await second.done).code, 0);
  });
});
