import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { streamSchedulerId } from '../../src/stream/stream-ids.js';
import { assertMatchesSource } from '../helpers/assert-matches-source.js';
import { makeTicket, ticketJsonSchema } from '../helpers/ticket-model.js';
import { baseConfig, createWorkerFleet, type SpawnedWorker, waitUntil, type WorkerFleet } from '../helpers/worker-fleet.js';

const PCK = 'helpdesk';
const MODELS = [
  { name: 'Ticket', table: 'ticket' },
  { name: 'Escalation', table: 'escalation' },
] as const;

describe('worker processes keeping a fleet of streams fresh', () => {
  let f: WorkerFleet;
  let workers: SpawnedWorker[];
  const connections = ['acme', 'globex', 'initech'];

  const seed = (connectionId: string, from: number, count: number) => {
    for (const model of MODELS) {
      for (let start = from; start < from + count; start += 15) {
        const batch = [];
        for (let n = start; n < Math.min(from + count, start + 15); n++)
          batch.push(makeTicket(n, { title: `${model.name} ${n} of ${connectionId}` }));
        f.standIn.store.save(PCK, connectionId, model.name, batch);
      }
    }
  };
  const converged = async (connectionIds: string[]) => {
    for (const connectionId of connectionIds) {
      for (const model of MODELS) {
        assertMatchesSource(await f.rows(model.table, connectionId), f.standIn.store.snapshot(PCK, connectionId, model.name));
      }
    }
  };

  before(async () => {
    f = await createWorkerFleet('worker_fleet');
    for (const connectionId of connections) f.standIn.store.addConnection({ providerConfigKey: PCK, connectionId });
    f.standIn.store.deploySync({
      providerConfigKey: PCK,
      name: 'tickets',
      models: MODELS.map((m) => ({ name: m.name, jsonSchema: ticketJsonSchema })),
      runs: 'every 5 minutes',
    });
    for (const connectionId of connections) seed(connectionId, 0, 45);
    f.writeConfig(`${baseConfig(f)}streams:\n  - integration: ${PCK}\n    every: 1s\n`);
  });
  after(async () => {
    await f.close();
  });

  test('two worker processes, three connections and two models converge to the source', async () => {
    // Slow pages make two runs of one stream overlap if anything let them.
    f.standIn.faults.delayNext(60, 80, { pathPrefix: '/records' });
    workers = [f.spawnWorker(), f.spawnWorker()];
    await waitUntil(() => converged(connections), 90_000);
    const schedulers = await f.queue.getJobSchedulers(0, -1, true);
    assert.equal(schedulers.length, connections.length * MODELS.length, 'one scheduler per stream');
    for (const worker of workers) assert.match(worker.stderr(), /"msg":"run started"/, 'both processes took jobs');
  });

  test('changes in Nango reach Postgres without anyone running a command', async () => {
    f.standIn.store.update(PCK, 'acme', 'Ticket', [{ id: 'T-3', title: 'changed in Nango' }]);
    f.standIn.store.delete(PCK, 'globex', 'Escalation', [{ id: 'T-4' }]);
    seed('initech', 100, 30);
    await waitUntil(() => converged(connections), 60_000);
    assert.equal((await f.rows('ticket', 'acme')).get('T-3')?.title, 'changed in Nango');
  });

  test('two processes never page the same stream at once: the runs of each stream never overlap', async () => {
    const { rows } = await sql<{ stream_id: string; started_at: Date; finished_at: Date | null }>`
      SELECT stream_id, started_at, finished_at FROM nango_replicator.runs ORDER BY stream_id, started_at`.execute(f.db);
    assert.ok(rows.length > connections.length * MODELS.length * 2, `expected many runs, got ${rows.length}`);
    for (let i = 1; i < rows.length; i++) {
      const previous = rows[i - 1]!;
      const run = rows[i]!;
      if (run.stream_id !== previous.stream_id || previous.finished_at === null) continue;
      assert.ok(run.started_at >= previous.finished_at, `runs of stream ${run.stream_id} overlap`);
    }
    for (const worker of workers) assert.doesNotMatch(worker.stderr(), /another run moved the cursor/);
  });

  test('a connection added in Nango is discovered and replicated', async () => {
    f.standIn.store.addConnection({ providerConfigKey: PCK, connectionId: 'hooli' });
    seed('hooli', 0, 25);
    await waitUntil(() => converged(['hooli']), 60_000);
  });

  test('a connection removed from Nango loses its schedules and keeps its rows', async () => {
    const before = (await f.rows('ticket', 'globex')).size;
    f.standIn.store.removeConnection(PCK, 'globex');
    await waitUntil(async () => {
      for (const model of MODELS) {
        const id = streamSchedulerId({ providerConfigKey: PCK, connectionId: 'globex', model: model.name, variant: 'base' });
        assert.equal(await f.queue.getJobScheduler(id), undefined, `${id} still scheduled`);
      }
    }, 30_000);
    assert.equal((await f.rows('ticket', 'globex')).size, before);
    assert.ok(
      await f.queue.getJobScheduler(streamSchedulerId({ providerConfigKey: PCK, connectionId: 'acme', model: 'Ticket', variant: 'base' })),
    );
  });

  test('health and readiness answer on both doors; only the admin door names the checks', async () => {
    const port = await workers[0]!.port();
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready' });
    const adminReady = await fetch(`http://127.0.0.1:${await workers[0]!.adminPort()}/readyz`);
    assert.deepEqual(((await adminReady.json()) as { checks: unknown }).checks, { postgres: 'ok', redis: 'ok', worker: 'ok' });
  });

  test('SIGTERM stops both processes cleanly', async () => {
    for (const worker of workers) worker.child.kill('SIGTERM');
    const results = await Promise.all(workers.map((w) => w.done));
    for (const [i, result] of results.entries()) assert.equal(result.code, 0, workers[i]!.stderr().slice(-3000));
  });
});
