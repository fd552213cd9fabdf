import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import pg from 'pg';
import { assertMatchesSource } from '../helpers/assert-matches-source.js';
import { seedTickets, TICKETS } from '../helpers/replication-fixture.js';
import { ticketJsonSchema } from '../helpers/ticket-model.js';
import { waitForRowLockWait } from '../helpers/wait-for-row-lock-wait.js';
import { baseConfig, createWorkerFleet, waitUntil, type WorkerFleet } from '../helpers/worker-fleet.js';

const { providerConfigKey: PCK, connectionId: CONN, model: MODEL } = TICKETS;

describe('a worker stopping: killed, terminated, or told twice', () => {
  let f: WorkerFleet;
  const source = () => f.standIn.store.snapshot(PCK, CONN, MODEL);
  const converged = async () => assertMatchesSource(await f.rows('ticket', CONN), source());
  const config = (shutdownTimeout: string) =>
    `${baseConfig(f, { worker: `  concurrency: 2\n  slice: 2\n  lockDuration: 2s\n  shutdownTimeout: ${shutdownTimeout}\n  backoff: 100ms` })}` +
    `streams:\n  - integration: ${PCK}\n    models: [${MODEL}]\n    connections: [${CONN}]\n    every: 1s\n`;

  before(async () => {
    f = await createWorkerFleet('worker_shutdown');
    f.standIn.store.addConnection({ providerConfigKey: PCK, connectionId: CONN });
    f.standIn.store.deploySync({
      providerConfigKey: PCK,
      name: 'tickets',
      models: [{ name: MODEL, jsonSchema: ticketJsonSchema }],
      runs: 'every hour',
    });
    seedTickets(f.standIn, 0, 200);
  });
  after(async () => {
    await f.close();
  });
  beforeEach(() => {
    f.standIn.faults.clear();
  });

  /** Every record changes in Nango, and a row lock held here stalls the worker inside the transaction of a page. */
  async function stallInsideAPage(): Promise<pg.Client> {
    f.standIn.store.update(
      PCK,
      CONN,
      MODEL,
      source().map((r) => ({ id: r.id, title: `${r.id} at ${Date.now()}` })),
    );
    const blocker = new pg.Client({ connectionString: f.database.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM nango.ticket WHERE id = $1 FOR UPDATE', [source()[90]!.id]);
    return blocker;
  }

  test('a worker killed with SIGKILL in the middle of a page loses nothing: after a restart the stream converges exactly', async () => {
    f.writeConfig(config('10s'));
    const spawnedAt = new Date();
    const first = f.spawnWorker();
    await waitUntil(converged, 60_000);
    const blocker = await stallInsideAPage();
    assert.ok(await waitForRowLockWait(f.database.url, spawnedAt), 'the worker never reached the stalled page');
    first.child.kill('SIGKILL');
    assert.equal((await first.done).signal, 'SIGKILL');
    await blocker.query('ROLLBACK');
    await blocker.end();

    const changed = [...(await f.rows('ticket', CONN)).values()].filter((row) => String(row.title).includes(' at ')).length;
    assert.equal(changed % 20, 0, 'whole pages committed, the stalled one did not');
    assert.ok(changed < source().length);
    const second = f.spawnWorker();
    await waitUntil(converged, 60_000);
    second.child.kill('SIGTERM');
    assert.equal((await second.done).code, 0, second.stderr().slice(-3000));
  });

  test('SIGTERM lets the page in flight commit, exits 0 within the deadline, and a restart carries on exactly', async () => {
    f.writeConfig(config('20s'));
    f.standIn.store.update(
      PCK,
      CONN,
      MODEL,
      source().map((r) => ({ id: r.id, title: `${r.id} later ${Date.now()}` })),
    );
    f.standIn.faults.delayNext(1000, 300, { pathPrefix: '/records' });
    const worker = f.spawnWorker();
    await worker.waitForLog(/"msg":"page committed"/);
    worker.child.kill('SIGTERM');
    const result = await worker.done;
    // Within the deadline, read from the worker itself rather than a wall clock: exit 0 and 'worker stopped' only
    // after a drain in time; at the deadline it exits 1 and logs 'worker stopped at the deadline' and 'abandoning them'.
    assert.equal(result.code, 0, worker.stderr().slice(-3000));
    assert.match(worker.stderr(), /"msg":"worker stopped"/);
    assert.doesNotMatch(worker.stderr(), /abandoning them/);

    f.standIn.faults.clear();
    const next = f.spawnWorker();
    await waitUntil(converged, 60_000);
    next.child.kill('SIGTERM');
    assert.equal((await next.done).code, 0);
  });

  test('a page stuck past the deadline is abandoned (it rolls back) and the process still exits', async () => {
    f.writeConfig(config('1s'));
    const blocker = await stallInsideAPage();
    const spawnedAt = new Date();
    const worker = f.spawnWorker();
    assert.ok(await waitForRowLockWait(f.database.url, spawnedAt), 'the worker never reached the stalled page');
    worker.child.kill('SIGTERM');
    const result = await worker.done;
    await blocker.query('ROLLBACK');
    await blocker.end();
    assert.equal(result.code, 1, 'exit code 1 says jobs were abandoned');
    assert.match(worker.stderr(), /shutdown deadline reached/);
  });

  test('a second signal exits at once', async () => {
    f.writeConfig(config('60s'));
    const blocker = await stallInsideAPage();
    const spawnedAt = new Date();
    const worker = f.spawnWorker();
    assert.ok(await waitForRowLockWait(f.database.url, spawnedAt), 'the worker never reached the stalled page');
    worker.child.kill('SIGTERM');
    await worker.waitForLog(/"msg":"shutting down/);
    worker.child.kill('SIGTERM');
    const result = await worker.done;
    await blocker.query('ROLLBACK');
    await blocker.end();
    assert.equal(result.code, 130);
    // What did commit is whole pages, and the next worker finishes the job.
    const next = f.spawnWorker();
    await waitUntil(converged, 60_000);
    next.child.kill('SIGTERM');
    assert.equal((await next.done).code, 0);
  });
});
