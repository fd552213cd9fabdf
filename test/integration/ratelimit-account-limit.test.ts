import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { bucketKeys } from '../../src/ratelimit/bucket-scripts.js';
import { bucketSize } from '../../src/ratelimit/bucket-size.js';
import { readFleetBudget } from '../../src/ratelimit/read-fleet-budget.js';
import { createRedisRequestGate, type RedisRequestGateOptions } from '../../src/ratelimit/redis-request-gate.js';
import { REDIS_URL, useRedisTestPrefix } from '../helpers/redis-test-prefix.js';

const { prefix: PREFIX, redis } = useRedisTestPrefix('ratelimit-account-limit');
const CONFIGURED = 100_000;
const clients: Redis[] = [];

after(async () => {
  await Promise.all(clients.map((c) => c.quit()));
});

/** One "process" on the shared bucket `key`: its own connection and gate; grant times on the Redis clock. */
function processOn(key: string, options: Partial<RedisRequestGateOptions> = {}) {
  const client = new Redis(REDIS_URL);
  clients.push(client);
  const grants: number[] = [];
  const logs: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const logger = {
    warn: (obj: object, msg: string) => logs.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
    info: (obj: object, msg: string) => logs.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
  };
  const gate = createRedisRequestGate(
    { redis: client, logger, onGrant: (t) => grants.push(t) },
    { key, keyPrefix: PREFIX, requestsPerMinute: CONFIGURED, share: 1, ...options },
  );
  return { gate, grants, logs };
}

async function resetIn(seconds: number): Promise<number> {
  const [now] = await redis.time();
  return Number(now) + seconds;
}

let keyCounter = 0;
const freshKey = (): string => `account-${++keyCounter}`;

describe('the budget the account really has', () => {
  it('sizes the bucket from X-RateLimit-Limit when the account allows less than configured, and says so once', async () => {
    const key = freshKey();
    const first = processOn(key);
    const second = processOn(key);
    const resetEpochSeconds = await resetIn(59);
    await first.gate.observe({ status: 200, limit: 600, remaining: 599, resetEpochSeconds });
    await second.gate.observe({ status: 200, limit: 600, remaining: 598, resetEpochSeconds });
    await first.gate.observe({ status: 200, limit: 600, remaining: 597, resetEpochSeconds });

    const size = bucketSize(600, 1);
    await Promise.all(Array.from({ length: size.burst + 2 }, () => second.gate.acquire()));
    const start = second.grants[0] ?? 0;
    const intervalMs = 1 / size.ratePerMs;
    assert.equal(second.grants.filter((t) => t < start + intervalMs).length, size.burst, "the account's burst, not the configured one");
    assert.ok((second.grants[size.burst + 1] ?? 0) - start >= 2 * intervalMs, "then the account's rate");

    const said = [...first.logs, ...second.logs].filter((l) => /fewer than the configured/.test(l.msg));
    assert.equal(said.length, 1, 'said once for the fleet');
    assert.deepEqual(said[0]?.obj, { key, configured: CONFIGURED, observed: 600, effective: 600 });
    const budget = await readFleetBudget(redis, { key, keyPrefix: PREFIX, requestsPerMinute: CONFIGURED, share: 0.9 });
    assert.deepEqual(
      { ...budget },
      {
        configuredPerMinute: CONFIGURED,
        accountLimitPerMinute: 600,
        share: 0.9,
        effectivePerMinute: 540,
        limitedBy: 'account',
        windowMs: 60_000,
      },
    );
  });

  it('goes back up to the configured limit when a larger account limit is reported', async () => {
    const key = freshKey();
    const { gate, logs } = processOn(key, { requestsPerMinute: 1000 });
    const resetEpochSeconds = await resetIn(59);
    await gate.observe({ status: 200, limit: 100, remaining: 99, resetEpochSeconds });
    await gate.observe({ status: 200, limit: 2000, remaining: 1998, resetEpochSeconds });
    const options = { key, keyPrefix: PREFIX, requestsPerMinute: 1000, share: 1 };
    assert.equal((await readFleetBudget(redis, options)).effectivePerMinute, 1000);
    assert.equal((await readFleetBudget(redis, options)).limitedBy, 'configuration');
    assert.ok(
      logs.some((l) => l.level === 'info' && /spends 1000 a minute again/.test(l.msg)),
      JSON.stringify(logs),
    );
  });

  it("sizes a class's own cap (the backfills') from the account limit the fleet's bucket recorded", async () => {
    const key = freshKey();
    const fleet = processOn(key);
    const cap = processOn(key, { part: 'backfill', share: 0.5 });
    await fleet.gate.observe({ status: 200, limit: 600, remaining: 599, resetEpochSeconds: await resetIn(59) });
    const size = bucketSize(600, 0.5);
    await Promise.all(Array.from({ length: size.burst + 1 }, () => cap.gate.acquire()));
    const start = cap.grants[0] ?? 0;
    assert.equal(
      cap.grants.filter((t) => t < start + 1 / size.ratePerMs).length,
      size.burst,
      'half the account, not half the configuration',
    );
    const keys = bucketKeys(PREFIX, key, 'backfill');
    assert.equal(keys.accountLimit, bucketKeys(PREFIX, key).accountLimit, 'one recorded limit, in the same slot');
    assert.equal(await redis.exists(keys.bucket), 1);
  });

  it('reads the configured budget before any response was seen', async () => {
    const budget = await readFleetBudget(redis, { key: freshKey(), keyPrefix: PREFIX, requestsPerMinute: 200, share: 0.9 });
    assert.equal(budget.accountLimitPerMinute, null);
    assert.equal(budget.effectivePerMinute, 180);
    assert.equal(budget.limitedBy, 'configuration');
  });

  it('does not stall when the configured limit is far above the account limit: the oversized bucket never looks short', async () => {
    const key = freshKey();
    const { gate } = processOn(key);
    const resetEpochSeconds = await resetIn(59);
    // The response that teaches the limit already finds the bucket sized to it.
    await gate.observe({ status: 200, limit: 200, remaining: 199, resetEpochSeconds });
    assert.equal(gate.stats().blockedUntilMs, 0);
    await Promise.all(Array.from({ length: 5 }, () => gate.acquire()));
    await gate.observe({ status: 200, limit: 200, remaining: 193, resetEpochSeconds });
    assert.equal(gate.stats().blockedUntilMs, 0);
    assert.equal(await redis.exists(bucketKeys(PREFIX, key).blocked), 0);
  });

  it('paces what is left in proportion when another client spends the account budget, without blocking', async () => {
    const key = freshKey();
    const { gate, grants, logs } = processOn(key, { requestsPerMinute: 600 });
    const size = bucketSize(600, 1);
    // About 20 s to the reset; the fleet could spend burst + 9.5/s x 20 s = 220 but the account has 130 left.
    const resetEpochSeconds = await resetIn(20);
    await gate.observe({ status: 200, limit: 600, remaining: 130, resetEpochSeconds });
    assert.equal(gate.stats().blockedUntilMs, 0, 'not a block: what is left is still spent');
    const paceRate = Number(await redis.hget(bucketKeys(PREFIX, key).bucket, 'paceRate'));
    const fullRate = size.ratePerMs;
    assert.ok(paceRate > 0 && paceRate < fullRate / 2, `paced at ${paceRate * 1000}/s instead of ${fullRate * 1000}/s`);
    // (130 - burst) left: whatever the pace, never more than that before the reset.
    assert.ok(paceRate * 21_000 <= 100 + 1e-6, 'never more than what is left');

    await Promise.all(Array.from({ length: size.burst + 2 }, () => gate.acquire()));
    const start = grants[0] ?? 0;
    assert.ok((grants[size.burst + 1] ?? 0) - start >= 1.5 / paceRate, 'tokens come at the slower pace');
    assert.ok(logs.some((l) => /pacing what is left/.test(l.msg)));
  });
});
