import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { streamSchedulerId } from '../../src/stream/stream-ids.js';
import { seedTickets, TICKETS } from '../helpers/replication-fixture.js';
import { ticketJsonSchema } from '../helpers/ticket-model.js';
import { baseConfig, createWorkerFleet, type SpawnedWorker, waitUntil, type WorkerFleet } from '../helpers/worker-fleet.js';

const { providerConfigKey: PCK, connectionId: CONN, model: MODEL } = TICKETS;
const ID = streamSchedulerId(TICKETS);

describe('scheduler integrity: every followed stream keeps one scheduler and its next job', () => {
  let f: WorkerFleet;
  let worker: SpawnedWorker;
  let base: string;
  const repairs = async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    return Number(/^nango_replicator_scheduler_repairs_total (\S+)$/m.exec(text)?.[1] ?? 'NaN');
  };

  before(async () => {
    f = await createWorkerFleet('schedule_integrity');
    f.standIn.store.addConnection({ providerConfigKey: PCK, connectionId: CONN });
    f.standIn.store.deploySync({
      providerConfigKey: PCK,
      name: 'tickets',
      models: [{ name: MODEL, jsonSchema: ticketJsonSchema }],
      runs: 'every hour',
    });
    seedTickets(f.standIn, 0, 5);
    f.writeConfig(`${baseConfig(f)}streams:\n  - integration: ${PCK}\n    models: [${MODEL}]\n    every: 2s\n`);
    worker = f.spawnWorker();
    base = `http://127.0.0.1:${await worker.adminPort()}`;
    await waitUntil(async () => assert.equal((await f.rows('ticket', CONN)).size, 5), 60_000);
  });
  after(async () => {
    await f.close();
  });

  test('a scheduler deleted by hand is re-created, logged and counted as a repair', async () => {
    assert.ok(await f.queue.getJobScheduler(ID));
    assert.equal(await repairs(), 0);
    assert.ok(await f.queue.removeJobScheduler(ID));
    await waitUntil(async () => assert.ok(await f.queue.getJobScheduler(ID), 're-created'), 60_000);
    await worker.waitForLog(/"msg":"scheduler repaired: it was missing, re-created"/);
    await waitUntil(async () => assert.equal(await repairs(), 1));
    assert.equal(await f.queue.getJobSchedulersCount(), 1, 'exactly one');
  });

  test('a scheduler whose next job is gone (it would never fire again) is re-created', async () => {
    // Lose the scheduler's next job while it is delayed, as a bug or a hand in Redis would (BullMQ refuses to remove
    // it): its hash and its place in the delayed set go, the scheduler stays.
    const keys = `${f.queuePrefix}:nango-sync`;
    const lostNext = await waitUntil(
      async () => {
        const next = (await f.queue.getJobScheduler(ID))?.next;
        assert.ok(next !== undefined);
        const jobId = `repeat:${ID}:${next}`;
        const [[, removed] = []] = (await f.redis.multi().zrem(`${keys}:delayed`, jobId).del(`${keys}:${jobId}`).exec()) ?? [];
        assert.equal(removed, 1, 'removed while delayed');
        return next;
      },
      30_000,
      50,
    );
    await waitUntil(async () => assert.ok(((await f.queue.getJobScheduler(ID))?.next ?? 0) > lostNext, 'a next job again'), 60_000);
    await worker.waitForLog(/"msg":"scheduler repaired: its next job was gone, re-created"/);
    await waitUntil(async () => assert.equal(await repairs(), 2));
    assert.equal(await f.queue.getJobSchedulersCount(), 1, 'still exactly one');
  });
});
