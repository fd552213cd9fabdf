import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { requestStreamSync } from '../../src/jobs/request-stream-sync.js';
import { streamLockName } from '../../src/jobs/stream-ids.js';
import { syncJobOptions } from '../../src/jobs/sync-job-options.js';
import { assertMatchesSource } from '../helpers/assert-matches-source.js';
import { seedTickets, TICKETS } from '../helpers/replication-fixture.js';
import { ticketJsonSchema } from '../helpers/ticket-model.js';
import { baseConfig, createWorkerFleet, type SpawnedWorker, waitUntil, type WorkerFleet } from '../helpers/worker-fleet.js';

const { providerConfigKey: PCK, connectionId: CONN, model: MODEL } = TICKETS;

describe('asking for an immediate sync of a stream scheduled hourly', () => {
  let f: WorkerFleet;
  let worker: SpawnedWorker;
  const source = () => f.standIn.store.snapshot(PCK, CONN, MODEL);
  const converged = async () => assertMatchesSource(await f.rows('ticket', CONN), source());
  const request = (stream = TICKETS) => requestStreamSync(f.queue, stream, { trigger: 'webhook', jobOptions: syncJobOptions({ attempts: 3, backoffMs: 100 }) });
  const pending = async () => {
    const counts = await f.queue.getJobCounts('waiting', 'active', 'delayed');
    return (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0) - 1; // minus the hourly scheduler's next job
  };
  const runs = async () => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM nango_replicator.runs`.execute(f.db)).rows[0]?.n);

  before(async () => {
    f = await createWorkerFleet('worker_request');
    f.standIn.store.addConnection({ providerConfigKey: PCK, connectionId: CONN });
    f.standIn.store.deploySync({ providerConfigKey: PCK, name: 'tickets', models: [{ name: MODEL, jsonSchema: ticketJsonSchema }], runs: 'every hour' });
    seedTickets(f.standIn, 0, 30);
    f.writeConfig(`${baseConfig(f)}streams:\n  - integration: ${PCK}\n    models: [${MODEL}]\n`);
    worker = f.spawnWorker();
    await waitUntil(converged, 60_000); // a new stream's first run is immediate
  });
  after(async () => {
    await f.close();
  });

  test('a request pulls the change within seconds although the schedule is an hour', async () => {
    f.standIn.store.update(PCK, CONN, MODEL, [{ id: 'T-1', title: 'announced by a webhook' }]);
    assert.equal(await request(), 'enqueued');
    await waitUntil(converged, 30_000);
  });

  test('a burst of requests causes one pull, or one more if one was running', async () => {
    await waitUntil(async () => assert.equal(await pending(), 0));
    const before = await runs();
    const outcomes = [];
    for (let i = 0; i < 20; i++) outcomes.push(await request());
    assert.equal(outcomes.filter((o) => o === 'enqueued').length, 1);
    await waitUntil(async () => assert.equal(await pending(), 0), 30_000);
    const pulls = (await runs()) - before;
    assert.ok(pulls >= 1 && pulls <= 2, `${pulls} runs for 20 requests`);
  });

  test('a request for a stream another job holds waits for it instead of being dropped', async () => {
    // As if a long job held the stream: its lock, for a few seconds.
    await f.redis.set(`${f.keyPrefix}lock:${streamLockName(TICKETS)}`, 'someone else', 'PX', 2500);
    f.standIn.store.update(PCK, CONN, MODEL, [{ id: 'T-2', title: 'changed while the stream was busy' }]);
    assert.equal(await request(), 'enqueued');
    await worker.waitForLog(/"retryLater":true,"msg":"stream busy/);
    await waitUntil(converged, 30_000);
  });

  test('a stream that is not followed is not pulled', async () => {
    assert.equal(await request({ ...TICKETS, connectionId: 'stranger' }), 'not-followed');
    const jobs = await f.queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
    assert.equal(jobs.filter((job) => job.data.connectionId === 'stranger').length, 0);
  });
});
