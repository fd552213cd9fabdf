import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertMatchesSource } from '../helpers/assert-matches-source.js';
import { startBackendStorm } from '../helpers/backend-storm.js';
import { recordsMissingBehindCursor } from '../helpers/cursor-behind-rows.js';
import {
  createReplicationFixture,
  type ReplicationFixture,
  seedTickets,
  TEST_SECRET_KEY,
  TICKETS,
} from '../helpers/replication-fixture.js';
import { runCliProcess, spawnCli } from '../helpers/run-cli-process.js';

const RECORDS = 3000;
const ARGS = [
  'sync',
  '--integration',
  TICKETS.providerConfigKey,
  '--connection',
  TICKETS.connectionId,
  '--model',
  TICKETS.model,
  '--page-size',
  '20',
];

/** What a process prints when it dies of an unhandled error, or shows a stack trace. */
const CRASH = /Unhandled 'error' event|^\s+at .+:\d+:\d+\)?$|node:internal/m;

describe('nango-replicator sync while Postgres connections are terminated under it', () => {
  let f: ReplicationFixture;
  let env: Record<string, string>;

  before(async () => {
    f = await createReplicationFixture('sync_backend_storm');
    seedTickets(f.standIn, 0, RECORDS, 200);
    env = { NANGO_SECRET_KEY: TEST_SECRET_KEY, NANGO_HOST: f.standIn.url, DATABASE_URL: f.database.url, LOG_LEVEL: 'warn' };
  });
  after(async () => {
    await f.close();
  });

  const runsStarted = async () => {
    const row = await f.db
      .selectFrom('nango_replicator.runs')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  };
  const source = () => f.standIn.store.snapshot(TICKETS.providerConfigKey, TICKETS.connectionId, TICKETS.model);

  test('the process never dies of it: it completes after retrying, or fails naming Postgres and DATABASE_URL; a re-run converges', async () => {
    // Slow pages keep the run going for several seconds, so the storm finds it mid-page many times.
    f.standIn.faults.delayNext(RECORDS / 20, 15, { pathPrefix: '/records' });
    const sync = spawnCli(ARGS, env);
    let exited = false;
    const result = sync.done.finally(() => (exited = true));
    // The storm starts once the run has begun, so it finds the run mid-page, not the process starting up. (Not once a
    // page has committed: pages fetched faster than written join one transaction, and the first commit can come
    // at the end.)
    while (!exited && (await runsStarted()) === 0) await sleep(50);
    const storm = startBackendStorm({ database: f.database.name, everyMs: 300, maxRounds: 15, until: () => exited });
    const missing: string[][] = [];
    const records = source();
    const probe = (async () => {
      // A probe the storm cut short proves nothing either way; the next one looks again.
      for (; !exited; await sleep(100))
        missing.push(await recordsMissingBehindCursor(f.database.url, TICKETS, 'nango.ticket', records).catch(() => []));
    })();
    const { code, signal, stderr } = await result;
    const { terminated, rounds } = await storm.done;
    const runs = await f.db.selectFrom('nango_replicator.runs').select('status').execute();
    await probe;

    assert.ok(terminated > 0, 'the storm terminated sessions of the run');
    assert.equal(signal, null, stderr);
    assert.doesNotMatch(stderr, CRASH, 'no unhandled error, no stack trace');
    if (code === 0) {
      // Mostly a page is hit and the run is tried again; at least the process's idle connections were.
      assert.ok(
        runs.length > 1 || /an idle database connection failed/.test(stderr),
        `the storm reached the process (${rounds} rounds, ${terminated} sessions terminated, ${runs.length} runs): ${stderr}`,
      );
      assertMatchesSource(await f.rows(), source());
    } else {
      assert.equal(code, 1, stderr);
      assert.match(stderr, /Postgres connection lost \(DATABASE_URL 127\.0\.0\.1:5432\): /);
    }
    assert.ok(missing.length > 0, 'the invariant was probed');
    assert.deepEqual(
      missing.filter((ids) => ids.length > 0),
      [],
      'the stored cursor was never ahead of its rows',
    );

    const again = await runCliProcess(ARGS, env);
    assert.equal(again.code, 0, again.stderr);
    assertMatchesSource(await f.rows(), source());
  });
});
