import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bucketSize } from '../../src/ratelimit/bucket-size.js';
import { assertMatchesSource } from '../helpers/assert-matches-source.js';
import { makeTicket, ticketJsonSchema } from '../helpers/ticket-model.js';
import { baseConfig, createWorkerFleet, type SpawnedWorker, waitUntil, type WorkerFleet } from '../helpers/worker-fleet.js';

const PCK = 'helpdesk';
const CONNECTIONS = ['c1', 'c2', 'c3', 'c4'];
const MODELS = [
  { name: 'Ticket', table: 'ticket' },
  { name: 'Escalation', table: 'escalation' },
] as const;
const RPM = 120;
const SHARE = 0.9;

describe('three workers and eight streams against an account limit of 120 requests a minute', () => {
  let f: WorkerFleet;
  let workers: SpawnedWorker[];
  const converged = async () => {
    for (const connectionId of CONNECTIONS) {
      for (const model of MODELS) {
        assertMatchesSource(await f.rows(model.table, connectionId), f.standIn.store.snapshot(PCK, connectionId, model.name));
      }
    }
  };

  before(async () => {
    f = await createWorkerFleet('worker_rate_limit', { rateLimit: { requestsPerMinute: RPM } });
    for (const connectionId of CONNECTIONS) f.standIn.store.addConnection({ providerConfigKey: PCK, connectionId });
    f.standIn.store.deploySync({
      providerConfigKey: PCK,
      name: 'tickets',
      models: MODELS.map((m) => ({ name: m.name, jsonSchema: ticketJsonSchema })),
      runs: 'every hour',
    });
    for (const connectionId of CONNECTIONS) {
      for (const model of MODELS)
        f.standIn.store.save(
          PCK,
          connectionId,
          model.name,
          Array.from({ length: 50 }, (_, n) => makeTicket(n)),
        );
    }
    // Every stream asks every second: about 8 requests a second, four times what the budget allows.
    f.writeConfig(
      baseConfig(f, { rateLimit: `    requestsPerMinute: ${RPM}\n    share: ${SHARE}` }).replace('every: 500ms', 'every: 30s') +
        `streams:\n  - integration: ${PCK}\n    every: 1s\n`,
    );
  });
  after(async () => {
    await f.close();
  });

  test('the fleet converges and receives no 429 from its own traffic, however much it wants to ask', async () => {
    workers = [f.spawnWorker(), f.spawnWorker(), f.spawnWorker()];
    await waitUntil(converged, 120_000, 500);
    // Steady polling on top, counted in requests rather than seconds: 30 more is about 15 s at the paced rate
    // (1.7/s), where an unpaced fleet (8/s) would pass the account's 120 within the same 15 s and be refused.
    const atConvergence = f.standIn.requests.length;
    await waitUntil(
      () => assert.ok(f.standIn.requests.length >= atConvergence + 30, `${f.standIn.requests.length - atConvergence} more requests`),
      120_000,
      500,
    );
    assert.equal(f.standIn.stats.tooManyRequests, 0, 'no request was refused');

    // And the pace was the bucket's: in any interval of w ms at most burst + rate x w requests arrived.
    const size = bucketSize(RPM, SHARE);
    const arrivals = f.standIn.requests.map((r) => r.at).sort((a, b) => a - b);
    for (const windowMs of [2_000, 5_000, 10_000]) {
      let most = 0;
      for (let i = 0, j = 0; i < arrivals.length; i++) {
        while (arrivals[i]! - arrivals[j]! > windowMs) j++;
        most = Math.max(most, i - j + 1);
      }
      const allowed = size.burst + size.ratePerMs * windowMs + 2; // 2: network jitter between grant and arrival
      assert.ok(most <= allowed, `${most} requests within ${windowMs} ms, at most ${allowed.toFixed(1)} allowed`);
    }
    assert.ok(arrivals.length > 30, `the fleet kept asking (${arrivals.length} requests)`);
  });

  test('a 429 pauses the queue for every worker, and the fleet carries on afterwards', async () => {
    f.standIn.faults.rateLimitNext(1, 2, { pathPrefix: '/records' });
    await waitUntil(
      () => assert.ok(workers.some((w) => /Nango answered 429: no process takes new jobs meanwhile/.test(w.stderr()))),
      60_000,
    );
    f.standIn.store.update(PCK, 'c2', 'Ticket', [{ id: 'T-3', title: 'after the 429' }]);
    await waitUntil(converged, 60_000, 500);
    assert.equal(f.standIn.stats.tooManyRequests, 1, 'only the injected 429');
    for (const worker of workers) worker.child.kill('SIGTERM');
    for (const worker of workers) assert.equal((await worker.done).code, 0, worker.stderr().slice(-2000));
  });
});
