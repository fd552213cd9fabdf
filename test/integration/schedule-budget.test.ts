import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { statusCommand } from '../../src/cli/status-command.js';
import { listStreamStatus } from '../../src/store/list-stream-status.js';
import { makeTicket, ticketJsonSchema } from '../helpers/ticket-model.js';
import { baseConfig, createWorkerFleet, waitUntil, type WorkerFleet } from '../helpers/worker-fleet.js';

const PCK = 'helpdesk';
const CONNECTIONS = Array.from({ length: 12 }, (_, n) => `tenant-${n}`);
const ACCOUNT_LIMIT = 300;
const SHARE = 0.8; // a budget of 240 requests a minute, 4 a second
const EVERY_MS = 1000;

describe('a configuration that needs three times the budget', () => {
  let f: WorkerFleet;
  let base: string;

  before(async () => {
    f = await createWorkerFleet('schedule_budget', { rateLimit: { requestsPerMinute: ACCOUNT_LIMIT } });
    for (const connectionId of CONNECTIONS) f.standIn.store.addConnection({ providerConfigKey: PCK, connectionId });
    f.standIn.store.deploySync({
      providerConfigKey: PCK,
      name: 'tickets',
      models: [{ name: 'Ticket', jsonSchema: ticketJsonSchema }],
      runs: 'every hour',
    });
    for (const connectionId of CONNECTIONS)
      f.standIn.store.save(
        PCK,
        connectionId,
        'Ticket',
        Array.from({ length: 5 }, (_, n) => makeTicket(n)),
      );
    // 12 streams read every second, never backing off (safety net = every): 720 requests a minute for a budget of 240.
    f.writeConfig(
      baseConfig(f, { rateLimit: `    requestsPerMinute: ${ACCOUNT_LIMIT}\n    share: ${SHARE}` }).replace('every: 500ms', 'every: 5s') +
        `streams:\n  - integration: ${PCK}\n    models: [Ticket]\n    every: 1s\n    safetyNet: 1s\n`,
    );
    base = `http://127.0.0.1:${await f.spawnWorker().adminPort()}`;
  });
  after(async () => {
    await f.close();
  });

  test("stretches every stream's period to fit, reads each within it, gets no 429, and says so", async () => {
    const streams = await waitUntil(
      async () => {
        const rows = await listStreamStatus(f.db, { schema: 'nango' });
        assert.equal(rows.length, CONNECTIONS.length);
        for (const row of rows) assert.match(row.pollingReason ?? '', /^budget-limited: effective period \d+s instead of 1s$/);
        return rows;
      },
      120_000,
      500,
    );
    const periodMs = Math.max(...streams.map((s) => s.effectivePeriodMs ?? 0));
    assert.ok(periodMs >= 3 * EVERY_MS, `stretched at least three times: ${periodMs} ms`);

    // From now on, on the database's clock: every stream is read three more times, each within its stretched period
    // (plus two ticks: a tick's jitter, and a read queued behind the others at the gate).
    const since = (await sql<{ now: Date }>`SELECT now()`.execute(f.db)).rows[0]!.now;
    const starts = async () => {
      const { rows } = await sql<{ connection_id: string; started: Date[] }>`
        SELECT s.connection_id, array_agg(r.started_at ORDER BY r.started_at) AS started
          FROM nango_replicator.runs r JOIN nango_replicator.streams s ON s.id = r.stream_id
         WHERE r.started_at > ${since} GROUP BY s.connection_id`.execute(f.db);
      return rows;
    };
    const reads = await waitUntil(
      async () => {
        const rows = await starts();
        assert.equal(rows.length, CONNECTIONS.length, 'every stream was read again');
        for (const row of rows) assert.ok(row.started.length >= 4, `${row.connection_id}: ${row.started.length} reads`);
        return rows;
      },
      120_000,
      500,
    );
    for (const row of reads) {
      const gaps = row.started.slice(1).map((t, i) => t.getTime() - row.started[i]!.getTime());
      for (const gap of gaps) assert.ok(gap <= periodMs + 2 * EVERY_MS, `${row.connection_id}: read ${gap} ms after the previous one`);
    }
    assert.equal(f.standIn.stats.tooManyRequests, 0, 'no request was refused');

    let out = '';
    await statusCommand(
      f.db,
      { schema: 'nango', json: false },
      { stdout: { write: (s: string) => ((out += s), true) } as NodeJS.WritableStream },
    );
    assert.match(out, /Schedule: budget-limited: the configuration needs \d+ requests\/min at its every periods .*the budget is 240\/min/);
    assert.match(out, /tenant-0\/Ticket: budget-limited: effective period \d+s instead of 1s/);
    assert.match(await (await fetch(`${base}/`)).text(), /<p class="schedule">Schedule: budget-limited: /);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const stretch = /^nango_replicator_schedule_stretch (\S+)$/m.exec(metrics);
    assert.ok(stretch && Number(stretch[1]) >= 2.5, `the stretch metric: ${stretch?.[1]}`);
    const needed = /^nango_replicator_schedule_needed_requests_per_minute (\S+)$/m.exec(metrics);
    assert.ok(needed && Number(needed[1]) >= 720, `the requests a minute the configuration needs: ${needed?.[1]}`);
  });
});
