import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertMatchesSource } from '../helpers/assert-matches-source.js';
import { startBackendStorm } from '../helpers/backend-storm.js';
import { recordsMissingBehindCursor } from '../helpers/cursor-behind-rows.js';
import { makeTicket, ticketJsonSchema } from '../helpers/ticket-model.js';
import { baseConfig, createWorkerFleet, type SpawnedWorker, waitUntil, type WorkerFleet } from '../helpers/worker-fleet.js';

const STREAM = { providerConfigKey: 'helpdesk', connectionId: 'acme', model: 'Ticket', variant: 'base' };
const RECORDS = 2000;

/** What a process prints when it dies of an unhandled error, or shows a stack trace. */
const CRASH = /Unhandled 'error' event|^\s+at .+:\d+:\d+\)?$|node:internal/m;

describe('a worker while Postgres connections are terminated under it', () => {
  let f: WorkerFleet;
  let worker: SpawnedWorker;

  before(async () => {
    f = await createWorkerFleet('worker_backend_storm');
    f.standIn.store.addConnection({ providerConfigKey: STREAM.providerConfigKey, connectionId: STREAM.connectionId });
    f.standIn.store.deploySync({
      providerConfigKey: STREAM.providerConfigKey,
      name: 'tickets',
      models: [{ name: STREAM.model, jsonSchema: ticketJsonSchema }],
      runs: 'every 5 minutes',
    });
    for (let start = 0; start < RECORDS; start += 200) {
      f.standIn.store.save(
        STREAM.providerConfigKey,
        STREAM.connectionId,
        STREAM.model,
        Array.from({ length: 200 }, (_, n) => makeTicket(start + n)),
      );
    }
    const worker = '  concurrency: 2\n  slice: 20\n  lockDuration: 3s\n  shutdownTimeout: 10s\n  backoff: 100ms\n  attempts: 3';
    f.writeConfig(`${baseConfig(f, { worker })}streams:\n  - integration: ${STREAM.providerConfigKey}\n    every: 1s\n`);
  });
  after(async () => {
    await f.close();
  });

  const source = () => f.standIn.store.snapshot(STREAM.providerConfigKey, STREAM.connectionId, STREAM.model);
  const committedPages = async () => {
    const row = await f.db
      .selectFrom('nango_replicator.runs')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<string>('pages'), eb.lit(0)).as('pages'))
      .executeTakeFirst();
    return Number(row?.pages ?? 0);
  };
  const alive = () => worker.child.exitCode === null && worker.child.signalCode === null;

  test('the worker survives the storm, its jobs are retried, and it converges to exactly the source', async () => {
    f.standIn.faults.delayNext(RECORDS / 20, 15, { pathPrefix: '/records' });
    worker = f.spawnWorker();
    const port = await worker.port();
    const adminPort = await worker.adminPort();
    await waitUntil(async () => assert.ok((await committedPages()) > 0 || !alive()), 60_000, 50);

    const storm = startBackendStorm({ database: f.database.name, everyMs: 300, maxRounds: 20, until: () => !alive() });
    const records = source();
    const missing: string[][] = [];
    const statuses: number[] = [];
    let storming = true;
    const probe = (async () => {
      for (; storming; await sleep(100)) {
        missing.push(await recordsMissingBehindCursor(f.database.url, STREAM, 'nango.ticket', records).catch(() => []));
        // The status page, metrics and readiness read Postgres too: they may answer an error, never crash the worker.
        for (const [door, path] of [
          [adminPort, '/'],
          [adminPort, '/metrics'],
          [port, '/readyz'],
        ] as const) {
          statuses.push(
            await fetch(`http://127.0.0.1:${door}${path}`).then(
              (r) => r.status,
              () => 0,
            ),
          );
        }
      }
    })();
    const { terminated } = await storm.done;
    storming = false;
    await probe;

    assert.ok(terminated > 0, 'the storm terminated sessions of the worker');
    assert.ok(alive(), `the worker died:\n${worker.stderr().slice(-4000)}`);
    await waitUntil(async () => assertMatchesSource(await f.rows('ticket', STREAM.connectionId), source()), 120_000);
    assert.ok(alive(), 'the worker is still running once converged');
    assert.doesNotMatch(worker.stderr(), CRASH, 'no unhandled error, no stack trace');
    assert.match(worker.stderr(), /postgres_connection_lost|an idle database connection failed/, 'the storm reached the worker');
    assert.ok(statuses.length > 0 && !statuses.includes(0), `every HTTP request got an answer: ${statuses.join(',')}`);
    assert.ok(missing.length > 0, 'the invariant was probed');
    assert.deepEqual(
      missing.filter((ids) => ids.length > 0),
      [],
      'the stored cursor was never ahead of its rows',
    );
  });
});
