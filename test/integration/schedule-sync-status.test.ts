import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { listStreamStatus } from '../../src/store/list-stream-status.js';
import { assertMatchesSource } from '../helpers/assert-matches-source.js';
import { seedTickets, TICKETS } from '../helpers/replication-fixture.js';
import { ticketJsonSchema } from '../helpers/ticket-model.js';
import { baseConfig, createWorkerFleet, type SpawnedWorker, waitUntil, type WorkerFleet } from '../helpers/worker-fleet.js';

const { providerConfigKey: PCK, connectionId: CONN, model: MODEL } = TICKETS;
const FAILED = /"msg":"GET \/sync\/status failed or was too slow: its streams keep polling/g;

describe('detection: syncStatus, a hint on top of polling', () => {
  let f: WorkerFleet;
  let worker: SpawnedWorker;
  const converged = async () => assertMatchesSource(await f.rows('ticket', CONN), f.standIn.store.snapshot(PCK, CONN, MODEL));
  const lastReadAt = async () =>
    (
      await sql<{ at: Date | null }>`SELECT last_read_at AS at FROM nango_replicator.streams WHERE connection_id = ${CONN}`.execute(f.db)
    ).rows[0]?.at?.getTime();
  const statusRequests = (status: number) =>
    f.standIn.requests.filter((r) => r.path.startsWith('/sync/status') && r.status === status).length;

  before(async () => {
    f = await createWorkerFleet('schedule_sync_status');
    f.standIn.store.addConnection({ providerConfigKey: PCK, connectionId: CONN });
    f.standIn.store.deploySync({
      providerConfigKey: PCK,
      name: 'tickets',
      models: [{ name: MODEL, jsonSchema: ticketJsonSchema }],
      runs: 'every hour',
    });
    seedTickets(f.standIn, 0, 10);
    f.writeConfig(
      `${baseConfig(f)}syncStatus:\n  every: 500ms\n  timeout: 5s\n` +
        `streams:\n  - integration: ${PCK}\n    models: [${MODEL}]\n    every: 1s\n    safetyNet: 1h\n    detection: syncStatus\n`,
    );
    worker = f.spawnWorker();
    await waitUntil(converged, 60_000);
    // Backed off: safety-net reads are 8 s or more apart.
    await waitUntil(async () => {
      const row = (await listStreamStatus(f.db, { schema: 'nango' }))[0];
      assert.ok((row?.effectivePeriodMs ?? 0) >= 8000);
    }, 90_000);
  });
  after(async () => {
    await f.close();
  });

  test("a sync Nango finished after the stream's last read pulls the stream before its safety-net read", async () => {
    const periodMs = (await listStreamStatus(f.db, { schema: 'nango' }))[0]?.effectivePeriodMs ?? 0;
    const previous = await lastReadAt();
    await waitUntil(async () => assert.notEqual(await lastReadAt(), previous), 60_000, 50); // just after a safety-net read
    const safetyRead = (await lastReadAt())!;
    f.standIn.store.update(PCK, CONN, MODEL, [{ id: 'T-2', title: 'found by the hint' }]);
    f.standIn.store.syncJobs.finish(PCK, CONN, 'tickets', Date.now(), { latestResult: { [MODEL]: { added: 0, updated: 1, deleted: 0 } } });
    await waitUntil(converged, 60_000);
    // On the database's clock: the read that brought the change started well before the next safety-net read was due.
    const { rows } = await sql<{ started_at: Date }>`
      SELECT r.started_at FROM nango_replicator.runs r JOIN nango_replicator.streams s ON s.id = r.stream_id
       WHERE s.connection_id = ${CONN} AND r.records > 0 ORDER BY r.started_at DESC LIMIT 1`.execute(f.db);
    const hintedMs = rows[0]!.started_at.getTime() - safetyRead;
    assert.ok(hintedMs < periodMs - 2000, `read ${hintedMs} ms after the last safety-net read, whose period is ${periodMs} ms`);
    const row = (await listStreamStatus(f.db, { schema: 'nango' }))[0];
    assert.doesNotMatch(row?.pollingReason ?? '', /webhooks not arriving/, 'changes the hint found count as announced');
  });

  test('a 500 from /sync/status falls back to polling, logged once', async () => {
    f.standIn.store.syncJobs.setScheduleMissing(PCK, CONN, 'tickets');
    const before = statusRequests(500);
    f.standIn.store.update(PCK, CONN, MODEL, [{ id: 'T-5', title: 'found by polling' }]);
    await waitUntil(converged, 90_000);
    await waitUntil(() => assert.ok(statusRequests(500) >= before + 3, 'the hint kept asking and kept failing'), 60_000);
    assert.equal(worker.stderr().match(FAILED)?.length, 1, 'one log line for the failing integration');
  });
});
