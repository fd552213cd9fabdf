import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { schedulerOffsetMs } from '../../src/jobs/discovery/scheduler-offset.js';
import { listStreamStatus } from '../../src/store/list-stream-status.js';
import { streamSchedulerId } from '../../src/stream/stream-ids.js';
import { makeTicket, ticketJsonSchema } from '../helpers/ticket-model.js';
import { baseConfig, createWorkerFleet, waitUntil, type WorkerFleet } from '../helpers/worker-fleet.js';

const INTEGRATION = 'helpdesk';
const MODEL = 'Ticket';
const DAY_MS = 24 * 3600_000;

/**
 * A connection whose stream's first tick (at its slot in a day) is hours away: discovery then reads it with a pull
 * at once, and its first tick cannot interfere with the test.
 */
function connectionTickingLater(): string {
  for (let n = 0; ; n++) {
    const connectionId = `tenant-${n}`;
    const id = streamSchedulerId({ providerConfigKey: INTEGRATION, connectionId, model: MODEL, variant: 'base' });
    const untilTickMs = (schedulerOffsetMs(id, DAY_MS) - (Date.now() % DAY_MS) + DAY_MS) % DAY_MS;
    if (untilTickMs > 3 * 3600_000) return connectionId;
  }
}

describe('a newly scheduled stream has its polling period from its first read', () => {
  let f: WorkerFleet;
  const connectionId = connectionTickingLater();

  before(async () => {
    f = await createWorkerFleet('schedule_new_stream');
    f.standIn.store.addConnection({ providerConfigKey: INTEGRATION, connectionId });
    f.standIn.store.deploySync({
      providerConfigKey: INTEGRATION,
      name: 'tickets',
      models: [{ name: MODEL, jsonSchema: ticketJsonSchema }],
      runs: 'every day',
    });
    f.standIn.store.save(INTEGRATION, connectionId, MODEL, [makeTicket(1), makeTicket(2)]);
    f.writeConfig(
      `${baseConfig(f)}streams:\n  - integration: ${INTEGRATION}\n    models: [${MODEL}]\n    every: 24h\n    safetyNet: 48h\n`,
    );
    f.spawnWorker();
  });
  after(async () => {
    await f.close();
  });

  test('read by the pull that follows its scheduler, before any tick, status shows its period', async () => {
    const status = await waitUntil(async () => {
      const row = (await listStreamStatus(f.db, { schema: 'nango' })).find((s) => s.connectionId === connectionId);
      assert.ok(row?.lastSuccessAt, 'read once');
      assert.equal(row.effectivePeriodMs, DAY_MS, 'its period is known');
      return row;
    }, 60_000);
    assert.equal(status.pollingReason, null, 'polling at its `every`, nothing to explain');
    assert.equal(status.rows, 2);
    const ticks = (await f.queue.getJobs(['completed'])).filter((job) => job.data.trigger === 'schedule');
    assert.deepEqual(ticks, [], 'no tick has run: the pull stored the schedule');
  });
});
