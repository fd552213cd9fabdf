import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Job } from 'bullmq';
import { streamSchedulerId } from '../../src/stream/stream-ids.js';
import { assertMatchesSource } from '../helpers/assert-matches-source.js';
import { seedTickets, TEST_SECRET_KEY, TICKETS } from '../helpers/replication-fixture.js';
import { runCliProcess } from '../helpers/run-cli-process.js';
import { ticketJsonSchema } from '../helpers/ticket-model.js';
import { baseConfig, createWorkerFleet, type SpawnedWorker, waitUntil, type WorkerFleet } from '../helpers/worker-fleet.js';

const { providerConfigKey: PCK, connectionId: CONN, model: MODEL } = TICKETS;
const OTHER_KEY = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

interface StatusRow {
  providerConfigKey: string;
  connectionId: string;
  model: string;
  rows: number | null;
  lastError: { code: string; message: string; willRetry: boolean; attempt: number } | null;
}

describe('worker jobs that cannot succeed', () => {
  let f: WorkerFleet;
  let worker: SpawnedWorker;
  const source = () => f.standIn.store.snapshot(PCK, CONN, MODEL);
  const converged = async () => assertMatchesSource(await f.rows('ticket', CONN), source());
  const failedJob = (predicate: (job: Job) => boolean) =>
    waitUntil(async () => {
      const job = (await f.queue.getFailed(0, 500)).find(predicate);
      assert.ok(job, 'no such failed job yet');
      return job;
    }, 30_000);
  const status = async (): Promise<StatusRow[]> => {
    const result = await runCliProcess(['status', '--json'], f.env);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as StatusRow[];
  };

  before(async () => {
    f = await createWorkerFleet('worker_errors');
    f.standIn.store.addConnection({ providerConfigKey: PCK, connectionId: CONN });
    f.standIn.store.deploySync({
      providerConfigKey: PCK,
      name: 'tickets',
      models: [{ name: MODEL, jsonSchema: ticketJsonSchema }],
      runs: 'every hour',
    });
    seedTickets(f.standIn, 0, 50);
    // `ghost` is listed but Nango has no such connection.
    f.writeConfig(
      `${baseConfig(f)}streams:\n  - integration: ${PCK}\n    models: [${MODEL}]\n    connections: [${CONN}, ghost]\n    every: 1s\n`,
    );
    worker = f.spawnWorker();
    await waitUntil(converged, 60_000);
  });
  after(async () => {
    await f.close();
  });

  test('a malformed job fails at once with a reason naming the field, and the worker keeps serving', async () => {
    await f.queue.add('sync', { providerConfigKey: PCK, model: MODEL });
    await f.queue.add('sync', { providerConfigKey: PCK, connectionId: CONN, model: MODEL, conection: 'typo' });
    const missing = await failedJob((job) => job.data.connectionId === undefined);
    assert.match(missing.failedReason, /^Invalid job data: connectionId: /);
    assert.equal(missing.attemptsMade, 1, 'not retried');
    const unknownKey = await failedJob((job) => job.data.conection === 'typo');
    assert.match(unknownKey.failedReason, /Unrecognized key: "conection"/);

    f.standIn.store.update(PCK, CONN, MODEL, [{ id: 'T-7', title: 'after the bad jobs' }]);
    await waitUntil(converged, 30_000);
    assert.equal(worker.child.exitCode, null, 'the worker is still running');
  });

  test('an unknown connection fails its job without retries and shows in status with its reason', async () => {
    const job = await failedJob((j) => j.data.connectionId === 'ghost');
    assert.equal(job.attemptsMade, 1, 'a terminal error is not retried');
    assert.match(job.failedReason, /no connection "ghost" for integration "helpdesk"/);

    const ghost = (await status()).find((s) => s.connectionId === 'ghost');
    assert.equal(ghost?.lastError?.code, 'nango_unknown_connection');
    assert.equal(ghost?.lastError?.willRetry, false);
    // The stream came from the config file, not from a command line: the hint speaks of configuration, not flags.
    assert.match(ghost?.lastError?.message ?? '', /where this stream is named: the streams of the config file/);
    assert.doesNotMatch(ghost?.lastError?.message ?? '', /--/);
    const acme = (await status()).find((s) => s.connectionId === CONN);
    assert.equal(acme?.lastError, null);
    assert.equal(acme?.rows, 50);

    const table = await runCliProcess(['status'], f.env);
    assert.equal(table.code, 0, table.stderr);
    assert.match(
      table.stdout,
      /^INTEGRATION\s+CONNECTION\s+MODEL\s+STATE\s+ROWS\s+VALUE ERRORS\s+LAST SUCCESS\s+CURSOR AGE\s+LAST ERROR$/m,
    );
    assert.match(table.stdout, /^helpdesk\s+acme\s+Ticket\s+fresh\s+50\s+.* ago\s+.*\s+-$/m);
    assert.match(table.stdout, /^helpdesk\s+ghost\s+Ticket\s+.*nango_unknown_connection: Nango has no connection "ghost"/m);
  });

  test('a refused key fails jobs without retries, shows in status without the key, and leaves the schedules as they were', async () => {
    worker.child.kill('SIGTERM');
    assert.equal((await worker.done).code, 0);
    const schedulersBefore = (await f.queue.getJobSchedulers(0, -1, true)).map((s) => s.key).sort();
    const failedBefore = (await f.queue.getFailed(0, 500)).length;

    worker = f.spawnWorker({ NANGO_SECRET_KEY: OTHER_KEY });
    const job = await failedJob((j) => j.data.connectionId === CONN && /refused the secret key/.test(j.failedReason));
    assert.equal(job.attemptsMade, 1);
    await worker.waitForLog(/discovery failed; schedules left as they were/);
    assert.deepEqual((await f.queue.getJobSchedulers(0, -1, true)).map((s) => s.key).sort(), schedulersBefore);
    assert.ok(schedulersBefore.includes(streamSchedulerId(TICKETS)));
    assert.ok((await f.queue.getFailed(0, 500)).length > failedBefore);

    const acme = (await status()).find((s) => s.connectionId === CONN);
    assert.equal(acme?.lastError?.code, 'nango_unauthorized');
    const table = await runCliProcess(['status'], f.env);
    assert.match(table.stdout, /nango_unauthorized: Nango refused the secret key/);
    for (const text of [table.stdout, table.stderr, worker.stderr()]) {
      assert.equal(text.includes(OTHER_KEY), false);
      assert.equal(text.includes(TEST_SECRET_KEY), false);
    }
    worker.child.kill('SIGTERM');
    assert.equal((await worker.done).code, 0);
  });
});
