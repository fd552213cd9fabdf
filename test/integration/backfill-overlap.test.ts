import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { Queue } from 'bullmq';
import { sql } from 'kysely';
import { streamLockName } from '../../src/stream/stream-ids.js';
import type { BackfillSummary } from '../../src/jobs/backfill/summarize-backfill.js';
import { assertMatchesSource } from '../helpers/assert-matches-source.js';
import { openBackfillQueue, settled } from '../helpers/backfill-queue.js';
import { seedTickets, TICKETS } from '../helpers/replication-fixture.js';
import { ticketJsonSchema } from '../helpers/ticket-model.js';
import { baseConfig, createWorkerFleet, type SpawnedWorker, waitUntil, type WorkerFleet } from '../helpers/worker-fleet.js';

const { providerConfigKey: PCK, connectionId: CONN, model: MODEL } = TICKETS;

interface Run {
  kind: string;
  started_at: Date;
  finished_at: Date | null;
}

describe("a backfill and the same stream's incremental sync", () => {
  let f: WorkerFleet;
  let workers: SpawnedWorker[];
  let queue: Queue;
  const converged = async () => assertMatchesSource(await f.rows('ticket', CONN), f.standIn.store.snapshot(PCK, CONN, MODEL));
  const runs = async (): Promise<Run[]> =>
    (await sql<Run>`SELECT kind, started_at, finished_at FROM nango_replicator.runs ORDER BY started_at, id`.execute(f.db)).rows;

  before(async () => {
    f = await createWorkerFleet('backfill_overlap');
    f.standIn.store.addConnection({ providerConfigKey: PCK, connectionId: CONN });
    f.standIn.store.deploySync({
      providerConfigKey: PCK,
      name: 'tickets',
      models: [{ name: MODEL, jsonSchema: ticketJsonSchema }],
      runs: 'every hour',
    });
    seedTickets(f.standIn, 0, 300);
    // Two processes, each with room for sync and backfill jobs at once; the stream is due every second.
    f.writeConfig(
      `${baseConfig(f)}backfill:\n  concurrency: 2\nstreams:\n  - integration: ${PCK}\n    models: [${MODEL}]\n    every: 1s\n`,
    );
    workers = [f.spawnWorker(), f.spawnWorker()];
    queue = openBackfillQueue(f);
    await waitUntil(converged, 60_000);
  });
  after(async () => {
    await queue.close();
    await f.close();
  });

  test('never run at once, while both keep running', async () => {
    const startedAt = new Date();
    f.standIn.faults.delayNext(1000, 150, { pathPrefix: '/records' }); // every page takes a while
    let changing = true;
    const changes = (async () => {
      for (let n = 0; changing; n++) {
        f.standIn.store.update(PCK, CONN, MODEL, [{ id: `T-${n % 300}`, title: `change ${n}` }]);
        await sleep(100);
      }
    })();
    for (let i = 0; i < 3; i++) {
      const job = await queue.add('backfill', {
        providerConfigKey: PCK,
        connectionId: CONN,
        model: MODEL,
        mode: i === 1 ? 'replace' : 'merge',
      });
      await sleep(300 * i); // lands at a different point of the syncs' cycle each time (a spread, not a wait)
      assert.equal(await (await settled(queue, String(job.id), 120_000)).getState(), 'completed');
      // Incremental syncs run in between: wait for one that started after this backfill's run finished.
      await waitUntil(async () => {
        const all = (await runs()).filter((run) => run.started_at >= startedAt);
        const lastBackfill = all.filter((run) => run.kind === 'backfill').at(-1);
        assert.ok(lastBackfill?.finished_at, 'the backfill run is recorded as finished');
        assert.ok(
          all.some((run) => run.kind === 'sync' && run.started_at >= lastBackfill.finished_at!),
          'no sync since the backfill',
        );
      }, 60_000);
    }
    changing = false;
    await changes;
    f.standIn.faults.clear();
    await waitUntil(converged, 30_000);
    // The runs of this test: those started by now, once each has finished (syncs go on starting every second).
    const endedAt = new Date();
    const during = await waitUntil(async () => {
      const started = (await runs()).filter((run) => run.started_at >= startedAt && run.started_at < endedAt);
      assert.ok(
        started.every((run) => run.finished_at),
        'every run finished',
      );
      return started;
    }, 60_000);
    assert.equal(during.filter((run) => run.kind === 'backfill').length, 3);
    const backfills = during.filter((run) => run.kind === 'backfill');
    const between = during.filter(
      (run) => run.kind === 'sync' && run.started_at > backfills[0]!.started_at && run.started_at < backfills[2]!.started_at,
    );
    assert.ok(between.length >= 2, `incremental syncs kept running between the backfills (${between.length})`);
    for (const run of during) assert.ok(run.finished_at, 'every run finished');
    for (let i = 1; i < during.length; i++) {
      const previous = during[i - 1]!;
      const current = during[i]!;
      assert.ok(
        current.started_at >= previous.finished_at!,
        `a ${current.kind} run started at ${current.started_at.toISOString()} while a ${previous.kind} run was still going (until ${previous.finished_at!.toISOString()})`,
      );
    }
  });

  test('a backfill that finds its stream busy waits for it and runs afterwards, instead of being dropped', async () => {
    const lockKey = `${f.keyPrefix}lock:${streamLockName(TICKETS)}`;
    const busyLines = () =>
      workers.reduce((n, w) => n + (w.stderr().match(/"msg":"stream busy: the backfill waits for the job reading it"/g)?.length ?? 0), 0);
    // Held by a holder that cannot be checked (so never taken over), until this test frees it.
    await waitUntil(
      async () => assert.equal(await f.redis.set(lockKey, 'someone else', 'PX', 120_000, 'NX'), 'OK', 'a sync holds the stream'),
      30_000,
      50,
    );
    const busyBefore = busyLines();
    const added = await queue.add('backfill', { providerConfigKey: PCK, connectionId: CONN, model: MODEL });
    await waitUntil(() => assert.ok(busyLines() > busyBefore, 'the backfill has not found the stream busy yet'), 60_000);
    assert.notEqual(await added.getState(), 'completed', 'it did not run while the lock was held');
    assert.equal(await f.redis.get(lockKey), 'someone else');
    await f.redis.del(lockKey);
    const job = await settled(queue, String(added.id), 60_000);
    assert.equal(await job.getState(), 'completed', job.failedReason);
    assert.equal((job.returnvalue as BackfillSummary).records, 300, 'it ran once the lock was freed');
  });
});
