import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeLockToken, lockOwner } from '../../src/lock/lock-owner.js';
import { type ProcessIdentity, readProcessIdentity } from '../../src/lock/process-identity.js';
import { createRedisLocks } from '../../src/lock/redis-locks.js';
import { useRedisTestPrefix } from '../helpers/redis-test-prefix.js';
import { deadProcess } from '../helpers/dead-process.js';
import { waitUntil } from '../helpers/worker-fleet.js';

describe('stream locks in Redis', () => {
  const { prefix: PREFIX, redis } = useRedisTestPrefix('locks');

  async function redisNowMs(): Promise<number> {
    const [seconds, micros] = await redis.time();
    return Number(seconds) * 1000 + Number(micros) / 1000;
  }

  test('one holder at a time; releasing lets the next one in', async () => {
    const locks = createRedisLocks({ redis }, { keyPrefix: PREFIX, ttlMs: 5000 });
    const first = await locks.tryAcquire('stream/a', 'host-1:1');
    assert.ok(first);
    assert.equal(await locks.tryAcquire('stream/a', 'host-2:2'), null);
    assert.ok(await locks.tryAcquire('stream/b', 'host-2:2'), 'other streams are free');
    assert.equal(lockOwner((await locks.holder('stream/a')) ?? ''), 'host-1:1');
    await first.release();
    await first.release(); // idempotent
    assert.ok(await locks.tryAcquire('stream/a', 'host-2:2'));
  });

  test("a held lock is renewed past its expiry; a dead holder's lock expires", async () => {
    const locks = createRedisLocks({ redis }, { keyPrefix: PREFIX, ttlMs: 300 });
    const acquiredAtMs = await redisNowMs();
    const held = await locks.tryAcquire('stream/renewed', 'alive');
    assert.ok(held);
    // Past three expiry periods on Redis's own clock: without renewal the key would be gone by now.
    await waitUntil(async () => assert.ok((await redisNowMs()) >= acquiredAtMs + 3 * 300), 10_000, 50);
    assert.equal(held.lost.aborted, false);
    assert.equal(await redis.get(held.key), held.token, "the key is still this holder's");
    assert.equal(await locks.tryAcquire('stream/renewed', 'other'), null);
    await held.release();

    await redis.set(`${PREFIX}stream/orphan`, 'dead-process token', 'PX', 300);
    assert.equal(await locks.tryAcquire('stream/orphan', 'next'), null);
    const taken = await waitUntil(
      async () => {
        const lock = await locks.tryAcquire('stream/orphan', 'next');
        assert.ok(lock, 'the orphaned lock has not expired yet');
        return lock;
      },
      5_000,
      50,
    );
    await taken.release();
  });

  test("a holder whose lock was taken learns it, and can neither renew nor release the new holder's lock", async () => {
    const locks = createRedisLocks({ redis }, { keyPrefix: PREFIX, ttlMs: 600, renewEveryMs: 100 });
    const old = await locks.tryAcquire('stream/taken', 'old');
    assert.ok(old);
    await redis.set(`${PREFIX}stream/taken`, 'new holder', 'PX', 60_000); // as if it had expired and been taken
    await new Promise((resolve) => old.lost.addEventListener('abort', resolve, { once: true }));
    await old.release();
    assert.equal(await redis.get(`${PREFIX}stream/taken`), 'new holder');
    assert.ok((await redis.pttl(`${PREFIX}stream/taken`)) > 10_000, 'its expiry was not touched');
  });

  /** Leaves the lock `name` as a holder that stopped renewing it would: its token, expiring in a minute. */
  async function leaveLock(name: string, owner: string, process: ProcessIdentity | null): Promise<string> {
    const token = encodeLockToken(owner, process);
    await redis.set(`${PREFIX}${name}`, token, 'PX', 60_000);
    return token;
  }

  test('a lock whose holder, a process of this machine, no longer exists is taken over at once', async () => {
    const locks = createRedisLocks({ redis }, { keyPrefix: PREFIX, ttlMs: 5000 });
    const dead = await leaveLock('stream/dead', 'this-host:1 cli sync', await deadProcess());
    const taken = await locks.tryAcquire('stream/dead', 'this-host:2 cli sync');
    assert.ok(taken !== null, 'taken without waiting for the minute-long expiry');
    assert.equal(taken.takenOverFrom, dead);
    assert.equal(await redis.get(taken.key), taken.token);
    assert.ok((await redis.pttl(taken.key)) <= 5000, 'with its own expiry');
    await taken.release();
    assert.equal(await redis.get(taken.key), null);
  });

  test("a lock whose holder's pid now names another process (the pid was reused) is taken over", async () => {
    const self = readProcessIdentity();
    assert.ok(self !== null);
    const locks = createRedisLocks({ redis }, { keyPrefix: PREFIX, ttlMs: 5000 });
    // This very pid, but a process started at another time: the holder is gone and its pid was given to us.
    await leaveLock('stream/reused', 'this-host:1 job 7', { ...self, startTicks: String(Number(self.startTicks) - 1) });
    const taken = await locks.tryAcquire('stream/reused', 'this-host:2 job 8');
    assert.ok(taken !== null);
    await taken.release();
  });

  test('a lock held by a live process, or by one that cannot be checked, is not taken over', async () => {
    const self = readProcessIdentity();
    assert.ok(self !== null);
    const locks = createRedisLocks({ redis }, { keyPrefix: PREFIX, ttlMs: 5000 });
    const dead = await deadProcess();
    const holders: Array<[string, ProcessIdentity | null]> = [
      ['alive: this process (another job of the same worker)', self],
      ['on another machine, with a pid that does not exist here', { ...dead, bootId: 'another-machine' }],
      ['in another pid namespace (another container)', { ...dead, pidNamespace: 'pid:[1]' }],
      ['without an identity (not Linux)', null],
    ];
    for (const [what, process] of holders) {
      const token = await leaveLock(`stream/${what}`, 'some-host:1 job 1', process);
      assert.equal(await locks.tryAcquire(`stream/${what}`, 'next:2 job 2'), null, what);
      assert.equal(await redis.get(`${PREFIX}stream/${what}`), token, what);
    }
    // A token of the earlier `<owner> <uuid>` shape: its holder cannot be checked either.
    await redis.set(`${PREFIX}stream/legacy`, 'old-host:1 job 1 0b0f5f9e-33a1-4a5e-9a43-2d1f8c9e7d11', 'PX', 60_000);
    assert.equal(await locks.tryAcquire('stream/legacy', 'next:2 job 2'), null);
    assert.equal(lockOwner((await locks.holder('stream/legacy')) ?? ''), 'old-host:1 job 1');
  });

  test('two processes that find the same dead holder: one takes the lock over, the other finds it busy', async () => {
    const first = createRedisLocks({ redis }, { keyPrefix: PREFIX, ttlMs: 5000 });
    const second = createRedisLocks({ redis }, { keyPrefix: PREFIX, ttlMs: 5000 });
    await leaveLock('stream/race', 'this-host:1 job 1', await deadProcess());
    const [a, b] = await Promise.all([first.tryAcquire('stream/race', 'a:1 job 2'), second.tryAcquire('stream/race', 'b:1 job 3')]);
    assert.equal([a, b].filter((lock) => lock !== null).length, 1);
    const winner = a ?? b;
    assert.equal(await redis.get(`${PREFIX}stream/race`), winner?.token);
    await winner?.release();
  });

  test('who holds a lock and when it expires unless renewed', async () => {
    const locks = createRedisLocks({ redis }, { keyPrefix: PREFIX, ttlMs: 5000 });
    assert.equal(await locks.holding('stream/free'), null);
    const before = Date.now();
    const held = await locks.tryAcquire('stream/held', 'this-host:1 cli sync');
    assert.ok(held !== null);
    const holding = await locks.holding('stream/held');
    assert.equal(holding?.token, held.token);
    const expiresInMs = (holding?.expiresAt.getTime() ?? 0) - before;
    assert.ok(expiresInMs > 0 && expiresInMs <= 5000 + (Date.now() - before), `expires in ${expiresInMs} ms`);
    await held.release();
  });
});
