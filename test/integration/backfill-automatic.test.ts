import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Queue } from 'bullmq';
import { sql } from 'kysely';
import type { BackfillSummary } from '../../src/jobs/backfill/summarize-backfill.js';
import { assertMatchesSource } from '../helpers/assert-matches-source.js';
import { openBackfillQueue, settled, streamRow } from '../helpers/backfill-queue.js';
import { seedTickets, TICKETS } from '../helpers/replication-fixture.js';
import { hmacSignature, nangoWebhookBody, syncSuccessPayload } from '../helpers/sign-nango-webhook.js';
import { ticketJsonSchema } from '../helpers/ticket-model.js';
import { baseConfig, createWorkerFleet, type SpawnedWorker, waitUntil, type WorkerFleet } from '../helpers/worker-fleet.js';

const { providerConfigKey: PCK, connectionId: CONN, model: MODEL } = TICKETS;
/** Base64 of `not a cursor`: Nango cannot decode it and answers 500 (docs/nango-api.md 1.6). */
const CORRUPT_CURSOR = Buffer.from('not a cursor').toString('base64');
const SIGNING_KEY = '3c1e9f0a-7b2d-4e8f-9a6c-5d4b3a2f1e0d';

describe('automatic replace backfills', () => {
  let f: WorkerFleet;
  let worker: SpawnedWorker;
  let queue: Queue;
  const liveRows = async () => new Map([...(await f.rows('ticket', CONN))].filter(([, row]) => row._nango_deleted_at === null));
  const converged = async () => assertMatchesSource(await liveRows(), f.standIn.store.snapshot(PCK, CONN, MODEL));

  before(async () => {
    f = await createWorkerFleet('backfill_automatic');
    f.standIn.store.addConnection({ providerConfigKey: PCK, connectionId: CONN });
    f.standIn.store.deploySync({
      providerConfigKey: PCK,
      name: 'tickets',
      models: [{ name: MODEL, jsonSchema: ticketJsonSchema }],
      runs: 'every hour',
    });
    seedTickets(f.standIn, 0, 40);
    f.writeConfig(`${baseConfig(f)}streams:\n  - integration: ${PCK}\n    models: [${MODEL}]\n    every: 1s\n`);
    worker = f.spawnWorker({ NANGO_WEBHOOK_SIGNING_KEY: SIGNING_KEY });
    queue = openBackfillQueue(f);
    await waitUntil(converged, 60_000);
  });
  after(async () => {
    await queue.close();
    await f.close();
  });

  test('a stored cursor that Nango keeps rejecting schedules one replace backfill, logged with the reason, which brings the stream back', async () => {
    await queue.pause(); // holds the backfill back while the syncs keep failing
    await sql`UPDATE nango_replicator.streams SET cursor = ${CORRUPT_CURSOR}`.execute(f.db);
    f.standIn.store.hardDelete(PCK, CONN, MODEL, ['T-8', 'T-9']); // dropped by Nango without a tombstone meanwhile

    await waitUntil(async () => {
      const rejected = (await f.queue.getFailed(0, 100)).filter((job) => /from the stored cursor/.test(job.failedReason));
      assert.ok(rejected.length >= 3, `${rejected.length} sync jobs failed on the cursor so far`);
    }, 60_000);
    const queued = await queue.getJobs(['waiting', 'delayed', 'active', 'waiting-children', 'completed', 'failed']);
    assert.equal(queued.length, 1, 'one backfill, however many syncs failed');
    const job = queued[0]!;
    assert.equal(job.name, 'backfill');
    assert.deepEqual(job.data, {
      providerConfigKey: PCK,
      connectionId: CONN,
      model: MODEL,
      mode: 'replace',
      reason: 'cursor_rejected: Nango keeps answering 500 to the stored cursor',
    });
    const logged = await worker.waitForLog(/"msg":"scheduled a replace backfill of the stream"/);
    assert.match(logged, /"reason":"cursor_rejected: /);
    assert.match(logged, /"integration":"helpdesk","connection":"acme","model":"Ticket"/);

    await queue.resume();
    const done = await settled(queue, String(job.id), 60_000);
    assert.equal(await done.getState(), 'completed', done.failedReason);
    const summary = done.returnvalue as BackfillSummary;
    assert.deepEqual([summary.replaced, summary.unseenDeleted], [1, 2]);
    assert.equal((await streamRow(f, TICKETS))?.cursor, f.standIn.store.snapshot(PCK, CONN, MODEL).at(-1)?.cursor, 'a valid cursor again');

    f.standIn.store.update(PCK, CONN, MODEL, [{ id: 'T-1', title: 'synced incrementally again' }]);
    await waitUntil(converged, 30_000);
    assert.deepEqual(
      [...(await f.rows('ticket', CONN)).values()]
        .filter((r) => r._nango_deleted_at !== null)
        .map((r) => r.id)
        .sort(),
      ['T-8', 'T-9'],
    );
  });

  test('a signed webhook announcing a full run of the sync schedules a replace backfill of its stream', async () => {
    const base = `http://127.0.0.1:${await worker.port()}`;
    f.standIn.store.hardDelete(PCK, CONN, MODEL, ['T-20']);
    const payload = syncSuccessPayload({ providerConfigKey: PCK, connectionId: CONN, model: MODEL, syncName: 'tickets' });
    const body = nangoWebhookBody({ ...payload, checkpoints: { from: null, to: { updatedAfter: '2026-11-25T10:00:00.000Z' } } });
    const response = await fetch(`${base}/webhooks/nango`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-nango-hmac-sha256': hmacSignature(SIGNING_KEY, body) },
    });
    assert.equal(response.status, 200);
    const job = await waitUntil(async () => {
      const found = (await queue.getJobs(['waiting', 'delayed', 'active', 'waiting-children', 'completed'])).find((j) =>
        /from scratch/.test(String(j.data.reason)),
      );
      assert.ok(found, 'no backfill yet');
      return found;
    }, 30_000);
    assert.equal(job.data.mode, 'replace');
    const done = await settled(queue, String(job.id), 60_000);
    assert.equal(await done.getState(), 'completed', done.failedReason);
    assert.equal((done.returnvalue as BackfillSummary).unseenDeleted, 1);
    await waitUntil(converged, 30_000);
  });
});
