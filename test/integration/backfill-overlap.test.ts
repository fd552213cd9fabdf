import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { Queue } from 'bullmq';
import { sql } from 'kysely';
import { streamLockName } from '../../src/jobs/stream-ids.js';
import type { BackfillSummary } from '../../src/jobs/summarize-backfill.js';
import { assertMatchesSource } from '../helpers/assert-matches-source.js';
import { backfill, openBackfillQueue, settled } from '../helpers/backfill-queue.js';
import { seedTickets, TICKETS } from '../helpers/replication-fixture.js';
import { ticketJsonSchema } from '../helpers/ticket-model.js';
import { baseConfig, createWorkerFleet, type SpawnedWorker, waitUntil, type WorkerFleet } from '../helpers/worker-fleet.js';

const { providerConfigKey: PCK, connectionId: CONN, model: MODEL } = TICKETS;

interface Run {
  kind: string;
  started_at: Date;
  finished_at: Date | null;
}

describe('a backfill and the same stream\'s incremental sync', () => {
  let f: WorkerFleet;
  let workers: SpawnedWorker[];
  let queue: Queue;
  const converged = async () => assertMatchesSource(await f.rows('ticket', CONN), f.standIn.store.snapshot(PCK, CONN, MODEL));
  const runs = async (): Promise<Run[]> =>
    (await sql<Run>`SELECT kind, started_at, finished_at FROM nango_replicator.runs ORDER BY started_at, id`.execute(f.db)).rows;

  before(async () => {
    f = await createWorkerFleet('backfill_overlap');
    f.standIn.store.addConnection({ providerConfigKey: PCK, connectionId: CONN });
    f.standIn.store.deploySync({ providerConfigKey: PCK, name: 'tickets', models: [{ name: MODEL, jsonSchema: ticketJsonSchema }], runs: 'every hour' });
    seedTickets(f.standIn, 0, 300);
    // Two processes, each with room for sync and backfill jobs at once; the stream is due every second.
    f.writeConfig(`${baseConfig(f)}backfill:\n  concurrency: 2\nstreams:\n  - integration: ${PCK}\n    models: [${MODEL}]\n    every: 1s\n`);
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
      const job = await queue.add('backfill', { providerConfigKey: PCK, connectionId: CONN, model: MODEL, mode: i === 1 ? 'replace' : 'merge' });
      await sleep(300 * i); // lands at a different point of the syncs' cycle each time
      assert.equal(await (await settled(queue, String(job.id), 120_000)).getState(), 'completed');
      await sleep(2000); // incremental syncs run in between
    }
    changing = false;
    await changes;
    f.standIn.faults.clear();
    await waitUntil(converged, 30_000);

    const during = (await runs()).filter((run) => run.started_at >= startedAt);
    assert.equal(during.filter((run) => run.kind === 'backfill').length, 3);
    const backfills = during.filter((run) => run.kind === 'backfill');
    const between = during.filter((run) => run.kind === 'sync' && run.started_at > backfills[0]!.started_at && run.started_at < backfills[2]!.started_at);
    assert.ok(between.length >= 2, `incremental syncs kept running between the backfills (${between.length})`);
    for (const run of during) assert.ok(run.finished_at, 'every run finished');
    for (let i = 1; i < during.length; i++) {
      const previous = during[i - 1]!;
      const current = during[i]!;
      assert.ok(current.started_at >= previous.finished_at!, `a ${current.kind} run started at ${current.started_at.toISOString()} while a ${previous.kind} run was still going (until ${previous.finished_at!.toISOString()})`);
    }
  });

  test('a backfill that finds its stream busy waits for it and runs afterwards, instead of being dropped', async () => {
    await f.redis.set(`${f.keyPrefix}lock:${streamLockName(TICKETS)}`, 'someone else', 'PX', 2500);
    const freedAt = Date.now() + 2500;
    const job = await backfill(queue, { providerConfigKey: PCK, connectionId: CONN, model: MODEL }, 60_000);
    assert.equal(await job.getState(), 'completed', job.failedReason);
    assert.equal((job.returnvalue as BackfillSummary).records, 300);
    assert.ok((job.finishedOn ?? 0) >= freedAt - 100, 'it ran after the lock was freed');
    assert.ok(workers.some((w) => /"msg":"stream busy: the backfill waits for the job reading it"/.test(w.stderr())));
  });
});
