import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { requestStreamSync } from '../../src/jobs/sync/request-stream-sync.js';
import { streamLockName } from '../../src/stream/stream-ids.js';
import { syncJobOptions } from '../../src/jobs/sync/sync-job-options.js';
import { assertMatchesSource } from '../helpers/assert-matches-source.js';
import { seedTickets, TICKETS } from '../helpers/replication-fixture.js';
import { ticketJsonSchema } from '../helpers/ticket-model.js';
import { baseConfig, createWorkerFleet, waitUntil, type WorkerFleet } from '../helpers/worker-fleet.js';

const { providerConfigKey: PCK, connectionId: CONN, model: MODEL } = TICKETS;

describe('asking for an immediate sync of a stream scheduled hourly', () => {
  let f: WorkerFleet;
  const source = () => f.standIn.store.snapshot(PCK, CONN, MODEL);
  const converged = async () => assertMatchesSource(await f.rows('ticket', CONN), source());
  const request = (stream = TICKETS) =>
    requestStreamSync(f.queue, stream, { trigger: 'webhook', jobOptions: syncJobOptions({ attempts: 3, backoffMs: 100 }) });
  const pending = async () => {
    const counts = await f.queue.getJobCounts('waiting', 'active', 'delayed');
    return (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0) - 1; // minus the hourly scheduler's next job
  };
  const writerWaitsOnLock = async () =>
    Number(
      (
        await sql<{
          n: number;
        }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'nango-replicator' AND wait_event_type = 'Lock'`.execute(
          f.db,
        )
      ).rows[0]?.n,
    ) > 0;
  const runs = async () =>
    Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM nango_replicator.runs`.execute(f.db)).rows[0]?.n);

  before(async () => {
    f = await createWorkerFleet('worker_request');
    f.standIn.store.addConnection({ providerConfigKey: PCK, connectionId: CONN });
    f.standIn.store.deploySync({
      providerConfigKey: PCK,
      name: 'tickets',
      models: [{ name: MODEL, jsonSchema: ticketJsonSchema }],
      runs: 'every hour',
    });
    seedTickets(f.standIn, 0, 30);
    f.writeConfig(`${baseConfig(f)}streams:\n  - integration: ${PCK}\n    models: [${MODEL}]\n`);
    f.spawnWorker();
    await waitUntil(converged, 60_000); // a new stream is read at once (one pull; its first tick waits for its slot)
  });
  after(async () => {
    await f.close();
  });

  test('a request pulls the change within seconds although the schedule is an hour', async () => {
    // The first read's job may still be recording its read after its rows are in: a request then joins it.
    await waitUntil(async () => assert.equal(await pending(), 0));
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

  test('a change that lands after the holder read its last page is pulled as soon as the holder is done, not at the next scheduled run', async () => {
    await waitUntil(async () => assert.equal(await pending(), 0));
    // The holder reads T-3's change, its last page, then waits on a row lock held here before it can write it.
    f.standIn.store.update(PCK, CONN, MODEL, [{ id: 'T-3', title: 'read by the holder' }]);
    const blocker = new pg.Client({ connectionString: f.database.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM nango.ticket WHERE id = $1 FOR UPDATE', ['T-3']);
      assert.equal(await request(), 'enqueued');
      await waitUntil(async () => assert.ok(await writerWaitsOnLock(), 'the holder waits on the row lock'), 30_000, 50);
      // Now, after the holder's last page: a change, and jobs that find the stream busy (scheduled iterations and
      // a webhook), which used to be dropped.
      f.standIn.store.update(PCK, CONN, MODEL, [{ id: 'T-4', title: "landed after the holder's last page" }]);
      const busy = [];
      for (let i = 0; i < 3; i++)
        busy.push(await f.queue.add('sync', { ...TICKETS, trigger: 'schedule' }, { jobId: `test-iteration-${i}` }));
      for (const job of busy)
        await waitUntil(async () => assert.equal((await f.queue.getJob(String(job.id)))?.returnvalue?.outcome, 'busy'), 30_000, 50);
      await blocker.query('ROLLBACK');
    } finally {
      await blocker.end();
    }
    await waitUntil(converged, 15_000);
    await waitUntil(async () => assert.equal(await pending(), 0), 15_000);
    const followUps = (await f.queue.getJobs(['waiting', 'delayed', 'active', 'completed'])).filter(
      (job) => job.data.trigger === 'follow-up',
    );
    assert.equal(followUps.length, 1, 'three busy jobs made one follow-up pull');
    assert.equal(await f.redis.exists(`${f.keyPrefix}pull-requested:${streamLockName(TICKETS)}`), 0, 'the request was served');
  });

  test('a stream that is not followed is not pulled', async () => {
    assert.equal(await request({ ...TICKETS, connectionId: 'stranger' }), 'not-followed');
    const jobs = await f.queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
    assert.equal(jobs.filter((job) => job.data.connectionId === 'stranger').length, 0);
    assert.equal(await request({ ...TICKETS, connectionId: 'stranger', variant: 'v1' }), 'not-followed', 'nor a variant of it');
  });

  test('a variant without a schedule of its own is not pulled, even of a followed stream: no rule follows it, or Nango dropped it', async () => {
    assert.equal(await request({ ...TICKETS, variant: 'eu' }), 'not-followed');
    const jobs = await f.queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
    assert.equal(jobs.filter((job) => job.data.variant === 'eu').length, 0);
  });
});
