import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Queue } from 'bullmq';
import type { BackfillSummary } from '../../src/jobs/backfill/summarize-backfill.js';
import { assertMatchesSource } from '../helpers/assert-matches-source.js';
import { backfill, openBackfillQueue, settled, streamRow } from '../helpers/backfill-queue.js';
import { seedTickets, TICKETS } from '../helpers/replication-fixture.js';
import { runCliProcess } from '../helpers/run-cli-process.js';
import { ticketJsonSchema } from '../helpers/ticket-model.js';
import { baseConfig, createWorkerFleet, type SpawnedWorker, type WorkerFleet } from '../helpers/worker-fleet.js';

const { providerConfigKey: PCK, connectionId: CONN, model: MODEL } = TICKETS;

describe('backfills of one stream', () => {
  let f: WorkerFleet;
  let worker: SpawnedWorker;
  let queue: Queue;
  const deletedIds = async () =>
    [...(await f.rows('ticket', CONN)).values()]
      .filter((r) => r._nango_deleted_at !== null)
      .map((r) => String(r.id))
      .sort();
  const statusOf = async () => {
    const result = await runCliProcess(['status', '--json'], f.env);
    assert.equal(result.code, 0, result.stderr);
    return (JSON.parse(result.stdout) as Array<{ connectionId: string; lastBackfill: Record<string, unknown> | null }>).find(
      (s) => s.connectionId === CONN,
    );
  };

  before(async () => {
    f = await createWorkerFleet('backfill_replace');
    f.standIn.store.addConnection({ providerConfigKey: PCK, connectionId: CONN });
    f.standIn.store.deploySync({
      providerConfigKey: PCK,
      name: 'tickets',
      models: [{ name: MODEL, jsonSchema: ticketJsonSchema }],
      runs: 'every hour',
    });
    seedTickets(f.standIn, 0, 50);
    f.writeConfig(baseConfig(f)); // no `streams`: only backfills read Nango here
    worker = f.spawnWorker();
    queue = openBackfillQueue(f);
  });
  after(async () => {
    await queue.close();
    await f.close();
  });

  test('a first merge backfill loads the stream; its summary counts the pages and records', async () => {
    const job = await backfill(queue, { providerConfigKey: PCK, connectionId: CONN, model: MODEL });
    assert.equal(await job.getState(), 'completed', job.failedReason);
    const summary = job.returnvalue as BackfillSummary;
    assert.equal(summary.streams, 1);
    assert.equal(summary.merged, 1);
    assert.equal(summary.records, 50);
    assert.equal(summary.pages, 3); // pageSize 20
    assertMatchesSource(await f.rows('ticket', CONN), f.standIn.store.snapshot(PCK, CONN, MODEL));
  });

  test('after hard deletes in Nango it soft-deletes exactly those rows and keeps their last values', async () => {
    f.standIn.store.hardDelete(PCK, CONN, MODEL, ['T-3', 'T-17', 'T-40']);
    const job = await backfill(queue, { providerConfigKey: PCK, connectionId: CONN, model: MODEL, mode: 'replace' });
    assert.equal(await job.getState(), 'completed', job.failedReason);
    const summary = job.returnvalue as BackfillSummary;
    assert.equal(summary.replaced, 1);
    assert.equal(summary.unseenDeleted, 3);
    assert.deepEqual(summary.reports[0]?.outcome, 'replaced');
    assert.deepEqual(await deletedIds(), ['T-17', 'T-3', 'T-40']);
    assert.equal((await f.rows('ticket', CONN)).get('T-3')?.title, 'Ticket number 3');
    assert.equal((await f.rows('ticket', CONN)).size, 50);
    const last = (await streamRow(f, TICKETS))?.last_backfill;
    assert.equal(last?.outcome, 'replaced');
    assert.equal(last?.unseenDeleted, 3);
  });

  test('the circuit breaker refuses a mass delete, visibly in the job result and in status; force goes through', async () => {
    const gone = Array.from({ length: 30 }, (_, i) => `T-${i + 5}`).filter((id) => id !== 'T-17');
    f.standIn.store.hardDelete(PCK, CONN, MODEL, gone);
    const refused = await backfill(queue, { providerConfigKey: PCK, connectionId: CONN, model: MODEL, mode: 'replace' });
    assert.equal(await refused.getState(), 'completed', refused.failedReason);
    const summary = refused.returnvalue as BackfillSummary;
    assert.equal(summary.refused, 1);
    assert.equal(summary.unseenDeleted, 0);
    const report = summary.reports[0];
    assert.equal(report?.outcome, 'refused');
    assert.equal(report?.wouldDelete, 29);
    assert.match(report?.reason ?? '', /refused to delete 29 of 47 rows \(62%, above the 50% limit\).*"force": true/);
    assert.deepEqual(await deletedIds(), ['T-17', 'T-3', 'T-40'], 'nothing more was deleted');

    const status = await statusOf();
    assert.equal(status?.lastBackfill?.outcome, 'refused');
    assert.match(String(status?.lastBackfill?.reason), /refused to delete 29 of 47 rows/);
    const table = await runCliProcess(['status'], f.env);
    assert.match(table.stdout, /helpdesk\/acme\/Ticket: replace backfill refused to delete 29 of 47 rows/);

    const forced = await backfill(queue, { providerConfigKey: PCK, connectionId: CONN, model: MODEL, mode: 'replace', force: true });
    assert.equal(await forced.getState(), 'completed', forced.failedReason);
    assert.equal((forced.returnvalue as BackfillSummary).unseenDeleted, 29);
    assertMatchesSource(
      new Map([...(await f.rows('ticket', CONN))].filter(([, row]) => row._nango_deleted_at === null)),
      f.standIn.store.snapshot(PCK, CONN, MODEL),
    );
    assert.equal((await statusOf())?.lastBackfill?.outcome, 'replaced');
    assert.equal(worker.child.exitCode, null);
  });

  test('a 429 met by a backfill pauses the backfill queue too, and the backfill carries on afterwards', async () => {
    f.standIn.faults.rateLimitNext(1, 2, { pathPrefix: '/records' });
    const job = await queue.add('backfill', { providerConfigKey: PCK, connectionId: CONN, model: MODEL });
    await worker.waitForLog(/Nango answered 429: no process takes new jobs meanwhile/);
    assert.ok((await queue.getRateLimitTtl()) > 0, 'nango-backfill is paused');
    const done = await settled(queue, String(job.id));
    assert.equal(await done.getState(), 'completed', done.failedReason);
    assert.equal(f.standIn.stats.tooManyRequests, 1);
  });
});
