import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { ReplicatorError } from '../../src/errors/replicator-error.js';
import { bucketKeys, bucketLuaScript } from '../../src/ratelimit/bucket-scripts.js';
import { bucketSize } from '../../src/ratelimit/bucket-size.js';
import { createRedisRequestGate, type RedisRequestGateOptions } from '../../src/ratelimit/redis-request-gate.js';
import { REDIS_URL, useRedisTestPrefix } from '../helpers/redis-test-prefix.js';
import { waitUntil } from '../helpers/worker-fleet.js';

const { prefix: PREFIX, redis } = useRedisTestPrefix('ratelimit-gate');
// budget 600/min: burst 30, then 9.5 requests/s.
const RPM = 600;
const SIZE = bucketSize(RPM, 1);
const MINUTES = 60_000;

const clients: Redis[] = [];

after(async () => {
  await Promise.all(clients.map((c) => c.quit()));
});

/** One "process": its own connection and gate on the shared bucket `key`; grant times on the Redis clock. */
function processOn(key: string, options: Partial<RedisRequestGateOptions> = {}) {
  const client = new Redis(REDIS_URL);
  clients.push(client);
  const grants: number[] = [];
  const logs: { level: string; obj: object; msg: string }[] = [];
  const logger = {
    warn: (obj: object, msg: string) => logs.push({ level: 'warn', obj, msg }),
    info: (obj: object, msg: string) => logs.push({ level: 'info', obj, msg }),
  };
  const gate = createRedisRequestGate(
    { redis: client, logger, onGrant: (t) => grants.push(t) },
    { key, keyPrefix: PREFIX, requestsPerMinute: RPM, share: 1, ...options },
  );
  return { gate, grants, logs };
}

async function redisNowMs(): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Number(micros) / 1000;
}

const activeTimers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

/** Resolves once the process has more timers than `before`: the gate's pump is pausing until its next Redis call. */
async function gatePaused(before: number): Promise<void> {
  await waitUntil(() => assert.ok(activeTimers() > before, 'the gate is not waiting yet'), 5_000, 5);
}

let keyCounter = 0;
const freshKey = (): string => `bucket-${++keyCounter}`;

describe('the Redis request gate', () => {
  const realDateNow = Date.now;
  afterEach(() => {
    Date.now = realDateNow;
  });

  it('grants a burst at once, then one request per refill interval', async () => {
    const { gate, grants } = processOn(freshKey());
    await Promise.all(Array.from({ length: SIZE.burst + 2 }, () => gate.acquire()));
    const first = grants[0] ?? 0;
    const intervalMs = 1 / SIZE.ratePerMs;
    assert.equal(grants.filter((t) => t < first + intervalMs).length, SIZE.burst, 'the whole burst, and no more, before the first refill');
    assert.ok((grants[SIZE.burst] ?? 0) - first >= intervalMs, 'next token only after one refill interval');
    assert.ok((grants[SIZE.burst + 1] ?? 0) - first >= 2 * intervalMs);
    assert.equal(gate.stats().granted, SIZE.burst + 2);
  });

  it("rejects a waiting acquire with the signal's reason as soon as it aborts, while the block is still on", async () => {
    const key = freshKey();
    const { gate } = processOn(key);
    await gate.observe({ status: 429, retryAfterSeconds: 29 });
    const controller = new AbortController();
    const reason = new Error('shutting down');
    const timersBefore = activeTimers();
    const waiting = gate.acquire(controller.signal);
    await gatePaused(timersBefore);
    controller.abort(reason);
    await assert.rejects(waiting, (error) => error === reason);
    assert.ok((await redis.pttl(bucketKeys(PREFIX, key).blocked)) > 20_000, 'rejected long before the block ended');
    assert.equal(gate.stats().granted, 0);
  });

  it('leaves no timer behind once the last waiter aborts', async () => {
    const { gate } = processOn(freshKey());
    await gate.observe({ status: 429, retryAfterSeconds: 29 });
    const timersBefore = activeTimers();
    const controller = new AbortController();
    const waiting = gate.acquire(controller.signal);
    await gatePaused(timersBefore);
    controller.abort();
    await assert.rejects(waiting);
    await new Promise(setImmediate); // the pump's loop ends on the next turn; no timer is needed for that
    const timersAfter = activeTimers();
    assert.ok(timersAfter <= timersBefore, `timers ${timersBefore} -> ${timersAfter}`);
  });

  it('rejects an already-aborted acquire without taking a token', async () => {
    const key = freshKey();
    const { gate } = processOn(key);
    const reason = new Error('already stopped');
    await assert.rejects(gate.acquire(AbortSignal.abort(reason)), (error) => error === reason);
    assert.equal(await redis.exists(bucketKeys(PREFIX, key).bucket), 0, 'the bucket was never touched');
  });

  it('reloads its scripts after SCRIPT FLUSH and keeps granting and blocking', async () => {
    const { gate } = processOn(freshKey());
    const callers = Array.from({ length: 10 }, async () => {
      for (let i = 0; i < 4; i++) await gate.acquire();
    });
    await waitUntil(() => assert.ok(gate.stats().granted > 0, 'the scripts have not run yet'), 5_000, 5);
    await redis.script('FLUSH');
    await Promise.all(callers);
    assert.equal(gate.stats().granted, 40);
    await redis.script('FLUSH');
    await gate.observe({ status: 429, retryAfterSeconds: 0 });
    assert.ok(gate.stats().blockedUntilMs > 0, 'the block script was reloaded too');
    await gate.acquire();
    const shas = (['token-bucket.lua', 'block.lua'] as const).map((name) => bucketLuaScript(name).sha1);
    assert.deepEqual(await redis.script('EXISTS', ...shas), [1, 1]);
  });

  it('holds every process sharing the bucket for N seconds after a 429 with Retry-After N', async () => {
    const key = freshKey();
    const observer = processOn(key);
    const other = processOn(key);
    const before = await redisNowMs();
    await observer.gate.observe({ status: 429, limit: RPM, remaining: 0, retryAfterSeconds: 1 });
    await other.gate.acquire();
    assert.ok((other.grants[0] ?? 0) >= before + 1000, 'the other process waited at least Retry-After');
    assert.ok((other.grants[0] ?? 0) >= observer.gate.stats().blockedUntilMs);
    assert.equal(observer.gate.stats().tooManyRequests, 1);
  });

  it('treats Retry-After 0 as up to one second, since Nango floors it', async () => {
    const key = freshKey();
    const observer = processOn(key);
    const other = processOn(key);
    await observer.gate.observe({ status: 429, retryAfterSeconds: 0 });
    const ttl = await redis.pttl(bucketKeys(PREFIX, key).blocked);
    // Server ms rounded up to a whole ms.
    assert.ok(ttl > 0 && ttl <= 1001, `blocked for ${ttl} ms`);
    await other.gate.acquire();
    assert.ok((other.grants[0] ?? 0) >= observer.gate.stats().blockedUntilMs);
  });

  for (const skewMs of [10 * MINUTES, -10 * MINUTES]) {
    it(`blocks a 429 without Retry-After until X-RateLimit-Reset on the Redis clock, with the client clock ${skewMs / MINUTES} minutes off`, async () => {
      const key = freshKey();
      const observer = processOn(key);
      const other = processOn(key);
      const resetEpochSeconds = Math.floor((await redisNowMs()) / 1000) + 1;
      Date.now = () => realDateNow() + skewMs;
      await observer.gate.observe({ status: 429, remaining: 0, resetEpochSeconds });
      Date.now = realDateNow;
      const blockedUntilMs = observer.gate.stats().blockedUntilMs;
      assert.equal(blockedUntilMs, (resetEpochSeconds + 1) * 1000, 'until the reset (plus the floored second)');
      await other.gate.acquire();
      assert.ok((other.grants[0] ?? 0) >= blockedUntilMs);
    });
  }

  it('never shortens a block: a later, shorter Retry-After leaves the longer one in force', async () => {
    const key = freshKey();
    const { gate } = processOn(key);
    await gate.observe({ status: 429, retryAfterSeconds: 20 });
    const longer = gate.stats().blockedUntilMs;
    await gate.observe({ status: 429, retryAfterSeconds: 1 });
    assert.equal(Number(await redis.get(bucketKeys(PREFIX, key).blocked)), longer);
    assert.ok((await redis.pttl(bucketKeys(PREFIX, key).blocked)) > 15_000);
  });

  it('blocks every process until the window resets when the account has less left than the fleet could spend', async () => {
    const key = freshKey();
    const observer = processOn(key);
    const other = processOn(key);
    await observer.gate.acquire();
    const resetEpochSeconds = Math.floor((await redisNowMs()) / 1000) + 1;
    // The bucket could still grant about burst - 1 + 9.5/s before the reset; the account has 2 left.
    await observer.gate.observe({ status: 200, limit: RPM, remaining: 2, resetEpochSeconds });
    const blockedUntilMs = observer.gate.stats().blockedUntilMs;
    assert.equal(blockedUntilMs, (resetEpochSeconds + 1) * 1000);
    await other.gate.acquire();
    assert.ok((other.grants[0] ?? 0) >= blockedUntilMs);
    assert.ok(observer.logs.some((l) => l.level === 'info' && /less left/.test(l.msg)));
  });

  it('blocks until the window resets when a response says nothing is left', async () => {
    const { gate } = processOn(freshKey(), { requestsPerMinute: RPM, share: 0.1 });
    const resetEpochSeconds = Math.floor((await redisNowMs()) / 1000) + 30;
    await gate.observe({ status: 200, limit: RPM, remaining: 0, resetEpochSeconds });
    assert.equal(gate.stats().blockedUntilMs, (resetEpochSeconds + 1) * 1000);
  });

  it("does not block when what is left matches the fleet's own spending", async () => {
    const key = freshKey();
    const { gate } = processOn(key);
    await Promise.all(Array.from({ length: 10 }, () => gate.acquire()));
    const resetEpochSeconds = Math.floor((await redisNowMs()) / 1000) + 59;
    await gate.observe({ status: 200, limit: RPM, remaining: RPM - 10, resetEpochSeconds });
    assert.equal(gate.stats().blockedUntilMs, 0);
    assert.equal(await redis.exists(bucketKeys(PREFIX, key).blocked), 0);
    await gate.acquire();
    assert.equal(gate.stats().granted, 11);
  });

  it('does not block when the rest of the account spends no more than its own share', async () => {
    const key = freshKey();
    const { gate } = processOn(key, { share: 0.5 });
    await gate.acquire();
    const resetEpochSeconds = Math.floor((await redisNowMs()) / 1000) + 59;
    // Others have already spent the whole other half; this fleet spent 1.
    await gate.observe({ status: 200, limit: RPM, remaining: RPM / 2 - 1, resetEpochSeconds });
    assert.equal(gate.stats().blockedUntilMs, 0);
  });

  it('logs once when X-RateLimit-Limit is above the configured requestsPerMinute', async () => {
    const key = freshKey();
    const { gate, logs } = processOn(key);
    const resetEpochSeconds = Math.floor((await redisNowMs()) / 1000) + 59;
    await gate.observe({ status: 200, limit: RPM, remaining: RPM - 1, resetEpochSeconds });
    await gate.observe({ status: 200, limit: 2 * RPM, remaining: 2 * RPM - 2, resetEpochSeconds });
    await gate.observe({ status: 200, limit: 3 * RPM, remaining: 3 * RPM - 3, resetEpochSeconds });
    const warnings = logs.filter((l) => l.level === 'warn' && /X-RateLimit-Limit/.test(l.msg));
    assert.equal(warnings.length, 1);
    assert.deepEqual(warnings[0]?.obj, { key, configured: RPM, observed: 2 * RPM });
  });

  it("keeps a bucket's keys in one cluster slot and lets them expire", async () => {
    const key = freshKey();
    const { gate } = processOn(key);
    await gate.acquire();
    await gate.observe({ status: 429, retryAfterSeconds: 2 });
    const keys = bucketKeys(PREFIX, key);
    const tag = (k: string) => /\{([^}]*)\}/.exec(k)?.[1];
    assert.equal(tag(keys.bucket), key);
    assert.equal(tag(keys.blocked), key);
    const refillMs = Math.ceil(SIZE.burst / SIZE.ratePerMs) + 1000;
    const bucketTtl = await redis.pttl(keys.bucket);
    assert.ok(bucketTtl > 0 && bucketTtl <= refillMs, `bucket ttl ${bucketTtl}`);
    const blockedTtl = await redis.pttl(keys.blocked);
    assert.ok(blockedTtl > 0 && blockedTtl <= 3001, `blocked ttl ${blockedTtl}`);
  });

  it('caps a block at one window plus a second, whatever the header says', async () => {
    const key = freshKey();
    const { gate } = processOn(key);
    await gate.observe({ status: 429, retryAfterSeconds: 3600 });
    assert.ok((await redis.pttl(bucketKeys(PREFIX, key).blocked)) <= 61_001);
  });

  it('refuses options that would break the budget or the key layout', () => {
    const client = redis;
    const make = (options: Partial<RedisRequestGateOptions>) => () =>
      createRedisRequestGate({ redis: client }, { key: 'k', requestsPerMinute: RPM, share: 1, ...options });
    for (const bad of [{ key: 'a{b}' }, { key: '' }, { keyPrefix: 'x{y}:' }, { share: 0 }, { share: 1.5 }, { requestsPerMinute: 1 }]) {
      assert.throws(
        make(bad),
        (error) => error instanceof ReplicatorError && error.code === 'ratelimit_invalid_options' && error.retry === 'terminal',
        JSON.stringify(bad),
      );
    }
  });
});
