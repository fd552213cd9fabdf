import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Queue } from 'bullmq';
import { openBackfillQueue, settled } from '../helpers/backfill-queue.js';
import { seedTickets, TICKETS } from '../helpers/replication-fixture.js';
import { runCliProcess } from '../helpers/run-cli-process.js';
import { ticketJsonSchema } from '../helpers/ticket-model.js';
import { baseConfig, createWorkerFleet, type WorkerFleet } from '../helpers/worker-fleet.js';

const { providerConfigKey: PCK, connectionId: CONN, model: MODEL } = TICKETS;

describe('nango-replicator backfill', () => {
  let f: WorkerFleet;
  let queue: Queue;
  const cli = (args: string[]) => runCliProcess(['backfill', '--integration', PCK, ...args], { ...f.env, LOG_LEVEL: 'warn' });

  before(async () => {
    f = await createWorkerFleet('backfill_cli');
    f.standIn.store.addConnection({ providerConfigKey: PCK, connectionId: CONN });
    f.standIn.store.deploySync({
      providerConfigKey: PCK,
      name: 'tickets',
      models: [{ name: MODEL, jsonSchema: ticketJsonSchema }],
      runs: 'every hour',
    });
    seedTickets(f.standIn, 0, 200);
    f.writeConfig(baseConfig(f));
    f.spawnWorker();
    queue = openBackfillQueue(f);
  });
  after(async () => {
    await queue.close();
    await f.close();
  });

  test('--wait reports progress while the streams are read, then the final counts, and exits 0', async () => {
    f.standIn.faults.delayNext(10, 400, { pathPrefix: '/records' }); // ten pages of 20, slow enough to watch
    const result = await cli(['--connection', CONN, '--model', MODEL, '--wait']);
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.match(result.stdout, /^Backfill (\d+) queued on nango-backfill: helpdesk, connection acme, model Ticket, mode merge$/m);
    assert.match(
      result.stderr,
      /^backfill \d+: 0\/1 streams done, 1 running, \d+ pages?, [\d,]+ records \([\d,]+\/s\)$/m,
      'a progress line',
    );
    assert.match(result.stdout, /^Backfill \d+ completed\.$/m);
    assert.match(result.stdout, /^1 stream \(1 merged\): 10 pages, 200 records, 200 upserted, 0 deleted by Nango, 0 deleted as unseen$/m);
    assert.match(result.stdout, /^ {2}helpdesk\/acme\/Ticket: merged, 10 pages, 200 records$/m);
    assert.equal((await f.rows('ticket', CONN)).size, 200);
  });

  test('--wait exits 1 and says why when a stream fails', async () => {
    const result = await cli(['--connection', 'ghost', '--model', MODEL, '--wait']);
    assert.equal(result.code, 1, result.stderr + result.stdout);
    assert.match(result.stdout, /^Backfill \d+ failed: 1 of 1 streams failed; helpdesk\/ghost\/Ticket: Nango has no connection "ghost"/m);
    assert.match(result.stdout, /^ {2}helpdesk\/ghost\/Ticket: failed: /m);
  });

  test('--wait exits 1 when the circuit breaker refused the deletes, and --json gives the whole outcome', async () => {
    f.standIn.store.hardDelete(
      PCK,
      CONN,
      MODEL,
      Array.from({ length: 150 }, (_, i) => `T-${i}`),
    );
    const refused = await cli(['--connection', CONN, '--model', MODEL, '--mode', 'replace', '--wait']);
    assert.equal(refused.code, 1, refused.stderr + refused.stdout);
    assert.match(refused.stdout, /^ {2}helpdesk\/acme\/Ticket: refused, 3 pages, 50 records, 0 deleted as unseen: refused to delete/m);
    assert.match(refused.stdout, /refused to delete 150 of 200 rows \(75%, above the 50% limit\)/);
    assert.match(refused.stdout, /^Deletes were refused: check the source, then run again with --force/m);

    const forced = await cli(['--connection', CONN, '--model', MODEL, '--mode', 'replace', '--force', '--wait', '--json']);
    assert.equal(forced.code, 0, forced.stderr + forced.stdout);
    const outcome = JSON.parse(forced.stdout) as { state: string; summary: { replaced: number; unseenDeleted: number; records: number } };
    assert.equal(outcome.state, 'completed');
    assert.deepEqual([outcome.summary.replaced, outcome.summary.unseenDeleted, outcome.summary.records], [1, 150, 50]);
  });

  test('without --wait it queues the message and returns at once', async () => {
    const result = await cli(['--since', '2026-06-01T00:00:00+02:00']);
    assert.equal(result.code, 0, result.stderr);
    const id =
      /^Backfill (\d+) queued on nango-backfill: helpdesk, every connection, every model, mode merge, since 2026-06-01T00:00:00\+02:00$/m.exec(
        result.stdout,
      )?.[1];
    assert.ok(id, result.stdout);
    const job = await settled(queue, id);
    assert.deepEqual(job.data, { providerConfigKey: PCK, since: '2026-06-01T00:00:00+02:00', mode: 'merge' });
    assert.equal(await job.getState(), 'completed', job.failedReason);
  });

  test('a message that cannot be sent is refused with exit code 2, naming the problem', async () => {
    const old = await cli(['--since', '2020-01-01']);
    assert.equal(old.code, 2);
    assert.match(old.stderr, /since: must be within the last 12 months, as Nango refuses an older modified_after/);
    const mixed = await cli(['--mode', 'replace', '--since', '2026-10-01']);
    assert.equal(mixed.code, 2);
    assert.match(mixed.stderr, /since: cannot be used with mode "replace"/);
    const badMode = await cli(['--mode', 'purge']);
    assert.equal(badMode.code, 2);
    assert.match(badMode.stderr, /Allowed choices are merge, replace/);
    const badTime = await cli(['--since', 'yesterday']);
    assert.equal(badTime.code, 2);
    assert.match(badTime.stderr, /must be an ISO time/);
  });
});
