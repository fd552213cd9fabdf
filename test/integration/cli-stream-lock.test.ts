import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { streamLockName } from '../../src/stream/stream-ids.js';
import { createStreamPullMarks } from '../../src/lock/stream-pull-marks.js';
import { withStreamLock } from '../../src/lock/with-stream-lock.js';
import { lockOwner } from '../../src/lock/lock-owner.js';
import { encodeLockToken } from '../../src/lock/lock-owner.js';
import { createRedisLocks } from '../../src/lock/redis-locks.js';
import { ensureStream } from '../../src/store/ensure-stream.js';
import { startRun } from '../../src/store/record-run.js';
import { assertMatchesSource } from '../helpers/assert-matches-source.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { REDIS_URL, useRedisTestPrefix } from '../helpers/redis-test-prefix.js';
import {
  createReplicationFixture,
  type ReplicationFixture,
  seedTickets,
  TEST_SECRET_KEY,
  TICKETS,
} from '../helpers/replication-fixture.js';
import { runCliProcess, spawnCli } from '../helpers/run-cli-process.js';
import { makeTicket } from '../helpers/ticket-model.js';
import { waitUntil } from '../helpers/worker-fleet.js';
import { deadProcess } from '../helpers/dead-process.js';

const { providerConfigKey: PCK, connectionId: ACME, model: MODEL } = TICKETS;
const GLOBEX = 'globex';

describe('nango-replicator sync next to the workers (REDIS_URL set): stream locks', () => {
  const redisKeys = useRedisTestPrefix('cli_stream_lock');
  let f: ReplicationFixture;
  let env: Record<string, string>;
  /** `env` with the default lock expiry of 30 s: a killed holder's lock would block every re-run that long. */
  let longLockEnv: Record<string, string>;
  let dir: string;

  before(async () => {
    f = await createReplicationFixture('cli_stream_lock');
    f.standIn.store.addConnection({ providerConfigKey: PCK, connectionId: GLOBEX });
    seedTickets(f.standIn, 0, 60);
    f.standIn.store.save(
      PCK,
      GLOBEX,
      MODEL,
      Array.from({ length: 30 }, (_, n) => makeTicket(1000 + n)),
    );
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
    const longLockConfig = join(dir, 'replicator-long-lock.yaml');
    writeFileSync(longLockConfig, `worker:\n  lockDuration: 30s\nredis:\n  keyPrefix: "${redisKeys.prefix}"\n`);
    longLockEnv = { ...env, REPLICATOR_CONFIG: longLockConfig };
  });
  after(async () => {
    await f.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const locks = () => createRedisLocks({ redis: redisKeys.redis }, { keyPrefix: `${redisKeys.prefix}lock:`, ttlMs: 30_000 });
  /** The token of the lock `name` once someone holds it (a CLI process just spawned takes a while to start). */
  const redisNowMs = async (): Promise<number> => {
    const [seconds, micros] = await redisKeys.redis.time();
    return Number(seconds) * 1000 + Number(micros) / 1000;
  };
  const holderOf = (name: string) =>
    waitUntil(
      async () => {
        const token = await locks().holder(name);
        assert.ok(token !== null, `nobody holds ${name} yet`);
        return token;
      },
      60_000,
      25,
    );
  const acmeRows = async () => new Map([...(await f.rows())].filter(([, row]) => row._nango_connection_id === ACME));
  const runsOf = async (connectionId: string) =>
    f.db
      .selectFrom('nango_replicator.runs as r')
      .innerJoin('nango_replicator.streams as s', 's.id', 'r.stream_id')
      .select(['r.status'])
      .where('s.connection_id', '=', connectionId)
      .orderBy('r.id')
      .execute();

  test('a stream a worker is reading is skipped with the holder named, the other streams are synced, and the exit code is 3', async () => {
    const held = await locks().tryAcquire(streamLockName(TICKETS), 'worker-7:4242 job 99');
    assert.ok(held !== null);
    try {
      const result = await runCliProcess(
        ['sync', '--integration', PCK, '--connection', ACME, '--connection', GLOBEX, '--model', MODEL],
        env,
      );
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
    const seenAtMs = await redisNowMs();
    assert.match(lockOwner(String(holder)), /^[^ ]+:\d+ cli sync$/, 'the lock names the CLI process');
    // Past the 1 s expiry on Redis's own clock: still held only if renewed.
    await waitUntil(async () => assert.ok((await redisNowMs()) >= seenAtMs + 1200), 10_000, 50);
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
    assert.deepEqual(
      (await runsOf(ACME)).map((r) => r.status),
      ['succeeded', 'succeeded'],
      'no run was closed as abandoned',
    );
    assertMatchesSource(await acmeRows(), f.standIn.store.snapshot(PCK, ACME, MODEL));
  });

  test('a pull a worker job asks for while sync reads a stream is served by sync reading it once more', async () => {
    const globex = { ...TICKETS, connectionId: GLOBEX };
    f.standIn.store.save(
      PCK,
      GLOBEX,
      MODEL,
      Array.from({ length: 40 }, (_, n) => makeTicket(2000 + n)),
    );
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

  /** Locks taken as a process of another machine would: its holdings can't be checked from here, only waited for. */
  const otherHostLocks = () =>
    createRedisLocks(
      { redis: redisKeys.redis, self: { bootId: 'another-machine', pidNamespace: 'pid:[4026531836]', pid: 77, startTicks: '1' } },
      { keyPrefix: `${redisKeys.prefix}lock:`, ttlMs: 30_000 },
    );

  /** Starts `sync` and resolves once its stderr matches `pattern`. */
  function spawnSyncUntil(args: string[], pattern: RegExp) {
    const run = spawnCli(['sync', ...args], env);
    let stderr = '';
    run.child.stderr?.on('data', (chunk) => (stderr += chunk));
    const seen = waitUntil(() => assert.match(stderr, pattern), 60_000, 25);
    return { ...run, seen };
  }

  test('a sync killed mid-read and run again at once: the re-run takes the stream over from the dead process and converges', async () => {
    seedTickets(f.standIn, 120, 100); // five more pages of 20 for acme, the first ones answered slowly
    f.standIn.faults.delayNext(6, 700, { pathPrefix: '/records' });
    const rowsBefore = (await acmeRows()).size;
    const args = ['sync', '--integration', PCK, '--connection', ACME, '--model', MODEL, '--page-size', '20'];
    const killed = spawnCli(args, longLockEnv);
    const name = streamLockName(TICKETS);
    const deadToken = await holderOf(name);
    await waitUntil(async () => assert.ok((await acmeRows()).size > rowsBefore, 'a first page is committed'), 60_000, 25);
    killed.child.kill('SIGKILL');
    assert.equal((await killed.done).signal, 'SIGKILL');
    assert.equal(await locks().holder(name), deadToken, "the dead process's lock is still there, for up to 30 s");
    assert.equal((await runsOf(ACME)).at(-1)?.status, 'running');

    const rerun = await runCliProcess(args, longLockEnv);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stderr, /took over a lock whose holder, a process of this machine, no longer exists/);
    assert.doesNotMatch(rerun.stderr, /skipped/);
    assert.match(rerun.stdout, /helpdesk\/acme\/Ticket: .*\(up to date\)/);
    assert.deepEqual(
      (await runsOf(ACME)).slice(-2).map((r) => r.status),
      ['abandoned', 'succeeded'],
      'the killed run is closed as abandoned',
    );
    assert.equal(await locks().holder(name), null, 'released at the end');
    assertMatchesSource(await acmeRows(), f.standIn.store.snapshot(PCK, ACME, MODEL));
  });

  test("a stream held by a worker job of this machine whose process is gone is taken over, and the job's run closed", async () => {
    const globex = { ...TICKETS, connectionId: GLOBEX };
    f.standIn.store.save(
      PCK,
      GLOBEX,
      MODEL,
      Array.from({ length: 10 }, (_, n) => makeTicket(3000 + n)),
    );
    const { id } = await ensureStream(f.db, globex);
    await startRun(f.db, id, 'sync'); // the dead job's run
    const name = streamLockName(globex);
    await redisKeys.redis.set(`${redisKeys.prefix}lock:${name}`, encodeLockToken('this-host:1 job 5', await deadProcess()), 'PX', 30_000);

    const result = await runCliProcess(['sync', '--integration', PCK, '--connection', GLOBEX, '--model', MODEL], longLockEnv);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stderr,
      /"deadHolder":"this-host:1 job 5","msg":"took over a lock whose holder, a process of this machine, no longer exists"/,
    );
    assert.deepEqual(
      (await runsOf(GLOBEX)).slice(-2).map((r) => r.status),
      ['abandoned', 'succeeded'],
    );
    assert.equal(await locks().holder(name), null);
  });

  test("a stream a live sync on another machine is reading is skipped with that sync named and its lock's expiry, exit 3", async () => {
    const held = await otherHostLocks().tryAcquire(streamLockName(TICKETS), 'other-host:77 cli sync');
    assert.ok(held !== null);
    try {
      const result = await runCliProcess(['sync', '--integration', PCK, '--connection', ACME, '--model', MODEL], longLockEnv);
      assert.equal(result.code, 3, result.stderr);
      assert.match(
        result.stderr,
        /helpdesk\/acme\/Ticket: skipped, another nango-replicator sync \(other-host:77\) is reading this stream; it reads it to the end; the lock expires at \d\d:\d\d:\d\d if that process died; run again then or use --wait\./,
      );
      assert.doesNotMatch(result.stderr, /took over/);
      assert.equal(await redisKeys.redis.get(held.key), held.token, 'the holder keeps its lock');
    } finally {
      await held.release();
    }
  });

  test('sync --wait waits for a live holder to release the stream, then reads it', async () => {
    seedTickets(f.standIn, 220, 20);
    const held = await otherHostLocks().tryAcquire(streamLockName(TICKETS), 'worker-9:77 job 200');
    assert.ok(held !== null);
    const runsBefore = (await runsOf(ACME)).length;
    const waiting = spawnSyncUntil(
      ['--integration', PCK, '--connection', ACME, '--model', MODEL, '--wait'],
      /waiting for a worker job \(worker-9:77 job 200\)/,
    );
    try {
      await waiting.seen;
      assert.equal((await runsOf(ACME)).length, runsBefore, 'nothing read while the holder holds the stream');
    } finally {
      await held.release();
    }
    const result = await waiting.done;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /helpdesk\/acme\/Ticket: .*\(up to date\)/);
    assert.equal((await runsOf(ACME)).at(-1)?.status, 'succeeded');
    assertMatchesSource(await acmeRows(), f.standIn.store.snapshot(PCK, ACME, MODEL));
  });

  test('sync --help explains --wait with an example', async () => {
    const help = await runCliProcess(['sync', '--help'], {});
    assert.equal(help.code, 0);
    const text = help.stdout.replace(/\s+/g, ' '); // however the help is wrapped
    assert.match(text, /--wait with REDIS_URL: wait for a stream another process is reading, then read it/);
    assert.match(text, /\$ nango-replicator sync -i github -c acme -m GithubIssue --wait/);
  });

  test('sync --wait stopped by Ctrl-C while waiting: the stream is skipped, exit 3', async () => {
    const held = await otherHostLocks().tryAcquire(streamLockName(TICKETS), 'worker-9:77 job 201');
    assert.ok(held !== null);
    try {
      const waiting = spawnSyncUntil(['--integration', PCK, '--connection', ACME, '--model', MODEL, '--wait'], /waiting for a worker job/);
      await waiting.seen;
      waiting.child.kill('SIGINT');
      const result = await waiting.done;
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stderr, /helpdesk\/acme\/Ticket: skipped, a worker job \(worker-9:77 job 201\) is reading this stream/);
      assert.equal(await redisKeys.redis.get(held.key), held.token, 'the holder keeps its lock');
    } finally {
      await held.release();
    }
  });
});
