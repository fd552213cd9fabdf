import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Queue } from 'bullmq';
import { assertMatchesSource } from '../helpers/assert-matches-source.js';
import { openBackfillQueue, settled } from '../helpers/backfill-queue.js';
import { seedTickets, TICKETS } from '../helpers/replication-fixture.js';
import { ticketJsonSchema } from '../helpers/ticket-model.js';
import { baseConfig, createWorkerFleet, type SpawnedWorker, waitUntil, type WorkerFleet } from '../helpers/worker-fleet.js';

const { providerConfigKey: PCK, connectionId: CONN, model: MODEL } = TICKETS;

describe('backfill messages that do not fit', () => {
  let f: WorkerFleet;
  let worker: SpawnedWorker;
  let queue: Queue;
  const converged = async () => assertMatchesSource(await f.rows('ticket', CONN), f.standIn.store.snapshot(PCK, CONN, MODEL));
  /** Adds a job allowed several attempts, and returns it once it has settled. */
  const send = async (data: unknown, name = 'backfill') => {
    const job = await queue.add(name, data, { attempts: 3, backoff: { type: 'fixed', delay: 50 } });
    return settled(queue, String(job.id), 30_000);
  };

  before(async () => {
    f = await createWorkerFleet('backfill_messages');
    f.standIn.store.addConnection({ providerConfigKey: PCK, connectionId: CONN });
    f.standIn.store.deploySync({
      providerConfigKey: PCK,
      name: 'tickets',
      models: [{ name: MODEL, jsonSchema: ticketJsonSchema }],
      runs: 'every hour',
    });
    seedTickets(f.standIn, 0, 30);
    f.writeConfig(`${baseConfig(f)}streams:\n  - integration: ${PCK}\n    models: [${MODEL}]\n    every: 1s\n`);
    worker = f.spawnWorker();
    queue = openBackfillQueue(f);
    await waitUntil(converged, 60_000);
  });
  after(async () => {
    await queue.close();
    await f.close();
  });

  test('each fails at once, without retries, with a reason naming the field', async () => {
    const cases: Array<[unknown, RegExp, string?]> = [
      [{ connectionId: CONN }, /^Invalid backfill message: providerConfigKey: Invalid input: expected string, received undefined$/],
      [
        { providerConfigKey: PCK, mode: 'purge' },
        /^Invalid backfill message: mode: Invalid option: expected one of "merge"\|"replace" \(got "purge"\)$/,
      ],
      [{ providerConfigKey: PCK, conection: CONN }, /^Invalid backfill message: \(root\): Unrecognized key: "conection"$/],
      [
        { providerConfigKey: PCK, since: '2020-01-01T00:00:00Z' },
        /^Invalid backfill message: since: must be within the last 12 months, as Nango refuses an older modified_after/,
      ],
      [{ providerConfigKey: PCK, since: 'last week' }, /^Invalid backfill message: since: must be an ISO timestamp/],
      [
        { providerConfigKey: PCK, mode: 'replace', since: '2026-10-01' },
        /^Invalid backfill message: since: cannot be used with mode "replace"/,
      ],
      [{ providerConfigKey: PCK, force: 'yes' }, /^Invalid backfill message: force: Invalid input: expected boolean/],
      [null, /^Invalid backfill message: \(root\): Invalid input: expected object, received null/],
      [{ providerConfigKey: PCK }, /^Unknown job name "backfil" on nango-backfill: send "backfill"$/, 'backfil'],
      [{ providerConfigKey: 'nope' }, /^Nothing to backfill: Nango lists no connection of integration "nope"/],
    ];
    for (const [data, reason, name] of cases) {
      const job = await send(data, name);
      assert.equal(await job.getState(), 'failed', `${JSON.stringify(data)} was accepted`);
      assert.match(job.failedReason, reason);
      assert.equal(job.attemptsMade, 1, `${JSON.stringify(data)} was retried`);
    }
    const children = await queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed', 'waiting-children']);
    assert.deepEqual(
      children.filter((job) => job.name === 'backfill-stream'),
      [],
      'no stream was backfilled',
    );
  });

  test('nothing else is disturbed: the worker keeps running and syncing, and a good message still works', async () => {
    f.standIn.store.update(PCK, CONN, MODEL, [{ id: 'T-4', title: 'after the bad messages' }]);
    await waitUntil(converged, 30_000);
    const good = await send({ providerConfigKey: PCK, connectionId: CONN, model: MODEL });
    assert.equal(await good.getState(), 'completed', good.failedReason);
    assert.equal(worker.child.exitCode, null, 'the worker is still running');
    assert.doesNotMatch(worker.stderr(), /"level":(50|60)[^\n]*"msg":"(BullMQ backfill worker error|the worker stopped by itself)/);
  });
});
