import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LoggedRequest } from '../../stand-in/logged-request.js';
import type { WindowCount } from '../../stand-in/rate-limit-window.js';
import { TEST_SECRET_KEY } from '../helpers/replication-fixture.js';
import { runCliProcess } from '../helpers/run-cli-process.js';
import { makeTicket, ticketJsonSchema } from '../helpers/ticket-model.js';
import { baseConfig, createWorkerFleet, waitUntil, type WorkerFleet } from '../helpers/worker-fleet.js';

// The account allows 40 requests per 8 s window (Nango's is 60 s; the stand-in's is shortened so that a few windows
// pass in tens of seconds, and the fleet is told so with `window`). The fleet is configured for 100,000.
const LIMIT = 40;
const WINDOW_MS = 8_000;
const SHARE = 0.95;
const PCK = 'helpdesk';
const CONNECTIONS = Array.from({ length: 8 }, (_, i) => `c${i + 1}`);
/** Marks the requests of "another client of the account" in the stand-in's log. */
const OTHER = 'x-other-client';

const isFleet = (r: LoggedRequest) => r.headers[OTHER] === undefined;

/** Completed windows that started at or after `fromMs`, skipping the first (the fleet may be starting up in it). */
function windowsSince(f: WorkerFleet, fromMs: number): WindowCount[] {
  const now = Date.now();
  return f.standIn
    .rateLimitWindows()
    .filter((w) => w.startMs >= fromMs && w.resetAtMs <= now)
    .slice(1);
}

/** Requests of `who` let in (not 429) during the windows, and the windows' span in windows (gaps included). */
function measure(f: WorkerFleet, windows: WindowCount[], who: (r: LoggedRequest) => boolean) {
  const first = windows[0]!;
  const last = windows.at(-1)!;
  const inside = f.standIn.requests.filter((r) => who(r) && r.at >= first.startMs && r.at < last.resetAtMs);
  return { allowed: inside.filter((r) => r.status !== 429).length, spanWindows: (last.resetAtMs - first.startMs) / WINDOW_MS };
}

describe('a fleet configured far above the account limit Nango reports', () => {
  let f: WorkerFleet;

  before(async () => {
    f = await createWorkerFleet('account_limit', { rateLimit: { requestsPerMinute: LIMIT, windowMs: WINDOW_MS } });
    for (const connectionId of CONNECTIONS) f.standIn.store.addConnection({ providerConfigKey: PCK, connectionId });
    f.standIn.store.deploySync({
      providerConfigKey: PCK,
      name: 'tickets',
      models: [{ name: 'Ticket', jsonSchema: ticketJsonSchema }],
      runs: 'every hour',
    });
    // 1,500 records a stream in pages of 20: 600 requests in all, far more than the windows measured here allow,
    // so the fleet always has requests waiting.
    for (const connectionId of CONNECTIONS)
      f.standIn.store.save(
        PCK,
        connectionId,
        'Ticket',
        Array.from({ length: 1500 }, (_, n) => makeTicket(n)),
      );
    f.writeConfig(
      baseConfig(f, {
        rateLimit: `    requestsPerMinute: 100000\n    share: ${SHARE}\n    window: ${WINDOW_MS}ms`,
        // Enough jobs at once that requests always wait for the budget, not for a job.
        worker: '  concurrency: 4\n  slice: 20\n  lockDuration: 3s\n  shutdownTimeout: 10s\n  backoff: 100ms\n  attempts: 3',
      }).replace('every: 500ms', 'every: 30s') + `streams:\n  - integration: ${PCK}\n    every: 1s\n`,
    );
  });
  after(async () => {
    await f.close();
  });

  test("runs at the account's limit, with almost no 429, and says once that the account's limit sizes the budget", async (t) => {
    const workers = [f.spawnWorker(), f.spawnWorker()];
    const start = Date.now();
    await waitUntil(() => assert.ok(windowsSince(f, start).length >= 4, 'four full windows measured'), 180_000, 250);
    const windows = windowsSince(f, start);
    const { allowed, spanWindows } = measure(f, windows, isFleet);
    const rate = allowed / (spanWindows * LIMIT);
    t.diagnostic(`fleet: ${allowed} requests in ${spanWindows.toFixed(2)} windows: ${(rate * 100).toFixed(1)}% of the account's limit`);
    assert.ok(
      rate >= 0.85,
      `the fleet spent ${(rate * 100).toFixed(1)}% of the account's limit (${allowed} in ${spanWindows.toFixed(2)} windows)`,
    );
    const fleet = f.standIn.requests.filter(isFleet);
    const refused = fleet.filter((r) => r.status === 429).length;
    assert.ok(refused <= fleet.length / 100, `${refused} of ${fleet.length} requests refused`);
    const said = workers.flatMap((w) => w.stderr().split('\n')).filter((l) => /fewer than the configured requestsPerMinute/.test(l));
    assert.equal(said.length, 1, 'said once for the fleet');
    assert.match(said[0]!, /allows 40 requests a minute/);

    const status = await runCliProcess(['status'], f.env);
    assert.equal(status.code, 0, status.stderr);
    const budgetLine =
      'API budget: The fleet spends at most 38 requests per 8 s window: 95% of the 40 the account allows ' +
      '(X-RateLimit-Limit), fewer than the configured requestsPerMinute 100000.';
    assert.equal(status.stdout.split('\n')[0], budgetLine);
    const page = await (await fetch(`http://127.0.0.1:${await workers[0]!.adminPort()}/`)).text();
    assert.ok(page.includes('The fleet spends at most 38 requests per 8 s window'), 'and the status page says so');
  });

  test('slows in proportion when another client spends half the account budget, instead of stalling', async (t) => {
    let stop = false;
    let seen = f.standIn.rateLimitWindows().length;
    // Another client of the account spends half the limit as each window opens.
    const other = (async () => {
      while (!stop) {
        await waitUntil(() => assert.ok(stop || f.standIn.rateLimitWindows().length > seen), 60_000, 20);
        seen = f.standIn.rateLimitWindows().length;
        if (stop) break;
        await Promise.all(
          Array.from({ length: LIMIT / 2 }, () =>
            fetch(`${f.standIn.url}/connections`, { headers: { Authorization: `Bearer ${TEST_SECRET_KEY}`, [OTHER]: '1' } }).then((r) =>
              r.arrayBuffer(),
            ),
          ),
        );
      }
    })();
    const start = Date.now();
    const fleetBefore = f.standIn.requests.filter(isFleet).length;
    try {
      await waitUntil(() => assert.ok(windowsSince(f, start).length >= 4, 'four full windows measured'), 180_000, 250);
    } finally {
      stop = true;
      await other;
    }
    const windows = windowsSince(f, start);
    const fleet = measure(f, windows, isFleet);
    const others = measure(f, windows, (r) => !isFleet(r));
    const left = fleet.spanWindows * LIMIT - others.allowed;
    t.diagnostic(
      `other client: ${others.allowed}; fleet: ${fleet.allowed} of the ${left.toFixed(0)} left in ${fleet.spanWindows.toFixed(2)} windows`,
    );
    assert.ok(others.allowed >= windows.length * (LIMIT / 2) * 0.9, `the other client spent ${others.allowed}`);
    assert.ok(fleet.allowed >= 0.7 * left, `the fleet spent ${fleet.allowed} of the ${left.toFixed(0)} the other client left`);
    const fleetSince = f.standIn.requests.filter(isFleet).slice(fleetBefore);
    const refused = fleetSince.filter((r) => r.status === 429).length;
    assert.ok(refused <= fleetSince.length / 100, `${refused} of ${fleetSince.length} fleet requests refused: it slowed by itself`);
  });
});
