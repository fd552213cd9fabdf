import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { lockOwner } from '../../src/lock/lock-owner.js';
import { createRedisLocks } from '../../src/lock/redis-locks.js';
import { useRedisTestPrefix } from '../helpers/redis-test-prefix.js';

describe('stream locks in Redis', () => {
  const { prefix: PREFIX, redis } = useRedisTestPrefix('locks');

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

  test('a held lock is renewed past its expiry; a dead holder\'s lock expires', async () => {
    const locks = createRedisLocks({ redis }, { keyPrefix: PREFIX, ttlMs: 300 });
    const held = await locks.tryAcquire('stream/renewed', 'alive');
    assert.ok(held);
    await sleep(900);
    assert.equal(held.lost.aborted, false);
    assert.equal(await locks.tryAcquire('stream/renewed', 'other'), null);
    await held.release();

    await redis.set(`${PREFIX}stream/orphan`, 'dead-process token', 'PX', 300);
    assert.equal(await locks.tryAcquire('stream/orphan', 'next'), null);
    await sleep(400);
    assert.ok(await locks.tryAcquire('stream/orphan', 'next'));
  });

  test('a holder whose lock was taken learns it, and can neither renew nor release the new holder\'s lock', async () => {
    const locks = createRedisLocks({ redis }, { keyPrefix: PREFIX, ttlMs: 600, renewEveryMs: 100 });
    const old = await locks.tryAcquire('stream/taken', 'old');
    assert.ok(old);
    await redis.set(`${PREFIX}stream/taken`, 'new holder', 'PX', 60_000); // as if it had expired and been taken
    await new Promise((resolve) => old.lost.addEventListener('abort', resolve, { once: true }));
    await old.release();
    assert.equal(await redis.get(`${PREFIX}stream/taken`), 'new holder');
    assert.ok((await redis.pttl(`${PREFIX}stream/taken`)) > 10_000, 'its expiry was not touched');
  });
});
