import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { streamLockName } from '../../src/jobs/stream-ids.js';
import { createStreamPullMarks } from '../../src/jobs/stream-pull-marks.js';
import { withStreamLock } from '../../src/jobs/with-stream-lock.js';
import { lockOwner } from '../../src/lock/lock-owner.js';
import { createRedisLocks } from '../../src/lock/redis-locks.js';
import { assertMatchesSource } from '../helpers/assert-matches-source.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { REDIS_URL, useRedisTestPrefix } from '../helpers/redis-test-prefix.js';
import { createReplicationFixture, type ReplicationFixture, seedTickets, TEST_SECRET_KEY, TICKETS } from '../helpers/replication-fixture.js';
import { runCliProcess, spawnCli } from '../helpers/run-cli-process.js';
import { makeTicket } from '../helpers/ticket-model.js';
import { waitUntil } from '../helpers/worker-fleet.js';

const { providerConfigKey: PCK, connectionId: ACME, model: MODEL } = TICKETS;
const GLOBEX = 'globex';

describe('nango-replicator sync next to the workers (REDIS_URL set): stream locks', () => {
  const redisKeys = useRedisTestPrefix('cli_stream_lock');
  let f: ReplicationFixture;
  let env: Record<string, string>;
  let dir: string;

  before(async () => {
    f = await createReplicationFixture('cli_stream_lock');
    f.standIn.store.addConnection({ providerConfigKey: PCK, connectionId: GLOBEX });
    seedTickets(f.standIn, 0, 60);
    f.standIn.store.save(PCK, GLOBEX, MODEL, Array.from({ length: 30 }, (_, n) => makeTicket(1000 + n)));
    dir = mkdtempSync(join(tmpdir(), 'nr-cli-lock-'));
    const configPath = join(dir, 'replicator.yaml');
    // A short lock expiry, so a run of a few seconds needs its lock renewed several times.
    writeFileSync(configPath, `worker:\n  lockDuration: 1s\nredis:\n  keyPrefix: "${redisKeys.prefix}"\n`);
    env = {
      NANGO_SECRET_KEY: TEST_SECRET_KEY,
      NANGO_HOST: f.standIn.url,
      DATABASE_URL: f.database.url,
      REDIS_URL,
      REPLICATOR_CONFIG: configPath,
      LOG_LEVEL: 'warn',
    };
  });
  after(async () => {
    await f.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const locks = () => createRedisLocks({ redis: redisKeys.redis }, { keyPrefix: `${redisKeys.prefix}lock:`, ttlMs: 30_000 });
  /** The token of the lock `name` once someone holds it (a CLI process just spawned takes a while to start). */
  const holderOf = (name: string) =>
    waitUntil(async () => {
      const token = await locks().holder(name);
      assert.ok(token !== null, `nobody holds ${name} yet`);
      return token;
    }, 60_000, 25);
  const acmeRows = async () => new Map([...(await f.rows())].filter(([, row]) => row._nango_connection_id === ACME));
  const runsOf = async (connectionId: string) =>
    f.db
      .selectFrom('nango_replicator.runs as r')
      .innerJoin('nango_replicator.streams as s', 's.id', 'r.stream_id')
      .select(['r.status'])
      .where('s.connection_id', '=', connectionId)
      .execute();

  test('a stream a worker is reading is skipped with the holder named, the other streams are synced, and the exit code is 3', async () => {
    const held = await locks().tryAcquire(streamLockName(TICKETS), 'worker-7:4242 job 99');
    assert.ok(held !== null);
    try {
      const result = await runCliProcess(['sync', '--integration', PCK, '--connection', ACME, '--connection', GLOBEX, '--model', MODEL], env);
      assert.equal(result.code, 3, result.stderr);
      assert.match(
        result.stderr,
        /helpdesk\/acme\/Ticket: skipped, a worker job \(worker-7:4242 job 99\) is reading this stream; it reads it to the end by itself; the lock expires at \d\d:\d\d:\d\d if that process died; run again then or use --wait\./,
      );
      assert.match(result.stdout, /helpdesk\/globex\/Ticket: 1 page, 30 records, 30 upserted/);
      assert.doesNotMatch(result.stdout, /helpdesk\/acme/);
      assert.deepEqual(await runsOf(ACME), [], 'the held stream was not read at all');
      assert.equal(await redisKeys.redis.get(held.key), held.token, 'the holder keeps its lock');
    } finally {
      await held.release();
    }
    const retried = await runCliProcess(['sync', '--integration', PCK, '--connection', ACME, '--model', MODEL], env);
    assert.equal(retried.code, 0, retried.stderr);
    assertMatchesSource(await acmeRows(), f.standIn.store.snapshot(PCK, ACME, MODEL));
  });

  test('while sync reads a stream it holds the lock, renewed past its expiry, so a worker job finds the stream busy', async () => {
    seedTickets(f.standIn, 60, 60); // three more pages of 20 for acme, each answered after 700 ms
    f.standIn.faults.delayNext(4, 700, { pathPrefix: '/records' });
    const { done } = spawnCli(['sync', '--integration', PCK, '--connection', ACME, '--model', MODEL, '--page-size', '20'], env);
    const name = streamLockName(TICKETS);
    const holder = await holderOf(name);
    assert.match(lockOwner(String(holder)), /^[^ ]+:\d+ cli sync$/, 'the lock names the CLI process');
    await sleep(1600); // past the 1 s expiry: still held only if renewed
    assert.equal(await locks().holder(name), holder);
    const worker = await withStreamLock(
      { db: f.db, locks: locks(), logger: captureLogger().logger },
      { stream: TICKETS, owner: 'worker-7:4242 job 100', signal: new AbortController().signal },
      async () => 'read',
    );
    assert.ok(!worker.taken);
    assert.equal(worker.holder, holder);
    assert.equal(worker.marked, false);

    const result = await done;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /helpdesk\/acme\/Ticket: .*60 records/);
    assert.equal(await locks().holder(name), null, 'released at the end');
    assert.deepEqual((await runsOf(ACME)).map((r) => r.status), ['succeeded', 'succeeded'], 'no run was closed as abandoned');
    assertMatchesSource(await acmeRows(), f.standIn.store.snapshot(PCK, ACME, MODEL));
  });

  test('a pull a worker job asks for while sync reads a stream is served by sync reading it once more', async () => {
    const globex = { ...TICKETS, connectionId: GLOBEX };
    f.standIn.store.save(PCK, GLOBEX, MODEL, Array.from({ length: 40 }, (_, n) => makeTicket(2000 + n)));
    f.standIn.faults.delayNext(2, 700, { pathPrefix: '/records' });
    const runsBefore = (await runsOf(GLOBEX)).length;
    const { done } = spawnCli(['sync', '--integration', PCK, '--connection', GLOBEX, '--model', MODEL, '--page-size', '20'], env);
    const name = streamLockName(globex);
    await holderOf(name);
    const pullMarks = createStreamPullMarks({ redis: redisKeys.redis }, { keyPrefix: `${redisKeys.prefix}pull-requested:`, ttlMs: 60_000 });
    const job = await withStreamLock(
      { db: f.db, locks: locks(), pullMarks, logger: captureLogger().logger },
      { stream: globex, owner: 'worker-7:4242 job 101', signal: new AbortController().signal, markIfBusy: true },
      async () => 'read',
    );
    assert.equal(job.taken, false);
    assert.ok(!job.taken && job.marked, 'the job left a pull mark');
    const result = await done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal((await runsOf(GLOBEX)).length - runsBefore, 2, 'sync read the stream once more');
    assert.equal(await pullMarks.take(globex), null, 'the mark was served');
    assert.match(result.stdout, /helpdesk\/globex\/Ticket: .*40 records/, 'one summary for both reads');
  });
});
