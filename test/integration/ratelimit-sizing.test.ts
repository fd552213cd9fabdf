import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ReplicatorError } from '../../src/errors/replicator-error.js';
import { bucketKey } from '../../src/ratelimit/bucket-key.js';
import { bucketSize, NANGO_WINDOW_MS } from '../../src/ratelimit/bucket-size.js';
import { RATELIMIT_SCRIPTS } from '../../src/ratelimit/bucket-scripts.js';
import { planObservation } from '../../src/ratelimit/plan-observation.js';
import { openGate } from '../../src/ratelimit/request-gate.js';
import { readLuaScript } from '../../src/redis-scripts/read-lua-script.js';

// Plan limits from docs/nango-api.md 2 (s .. 12xl), and shares a deployment might give the replicator.
const PLAN_LIMITS = [100, 200, 1000, 2000, 5000, 10_000, 55_000, 7];
const SHARES = [0.05, 0.3, 0.5, 0.9, 1];

describe('bucket sizing', () => {
  it('never lets burst plus a full window of refill exceed requestsPerMinute x share', () => {
    for (const rpm of PLAN_LIMITS) {
      for (const share of SHARES) {
        if (Math.floor(rpm * share) < 2) continue;
        const size = bucketSize(rpm, share);
        assert.ok(size.burst + size.ratePerMs * NANGO_WINDOW_MS <= rpm * share + 1e-9, `${rpm} x ${share}`);
        assert.ok(size.burst + size.ratePerMs * NANGO_WINDOW_MS >= size.budget - 1e-9, 'and hands out all of it');
        assert.ok(size.burst >= 1 && size.burst <= Math.max(1, 0.05 * size.budget), 'a small burst');
        assert.ok(size.ratePerMs > 0, 'always refills');
      }
    }
  });

  it('refuses a budget too small to refill, with a terminal error', () => {
    for (const [rpm, share] of [
      [1, 1],
      [100, 0.01],
      [0, 1],
      [100, 0],
      [100, 2],
      [Number.NaN, 1],
    ] as const) {
      assert.throws(
        () => bucketSize(rpm, share),
        (error) => error instanceof ReplicatorError && error.retry === 'terminal',
      );
    }
  });
});

describe('bucket key', () => {
  it('uses the configured key when there is one', () => {
    assert.equal(bucketKey({ key: 'acme-prod', secretKey: 'sk_live_secret' }), 'acme-prod');
  });

  it('otherwise derives a short name from the secret key without containing it', () => {
    const secretKey = '5f0e2b7c-1a2b-4c3d-8e9f-0123456789ab';
    const key = bucketKey({ secretKey });
    assert.match(key, /^sk-[0-9a-f]{16}$/);
    assert.ok(!key.includes(secretKey) && !secretKey.includes(key.slice(3)), 'no part of the secret leaks');
    assert.equal(bucketKey({ key: '  ', secretKey }), key, 'a blank configured key counts as none');
  });

  it('puts processes with the same secret in one bucket and other accounts in another', () => {
    assert.equal(bucketKey({ secretKey: 'a' }), bucketKey({ secretKey: 'a' }));
    assert.notEqual(bucketKey({ secretKey: 'a' }), bucketKey({ secretKey: 'b' }));
  });
});

describe('the open gate', () => {
  it('never waits', async () => {
    await Promise.all(Array.from({ length: 10_000 }, () => openGate.acquire()));
    await openGate.observe({ status: 429, retryAfterSeconds: 60 });
    await openGate.acquire();
  });

  it('still rejects a caller whose signal has already aborted', async () => {
    const reason = new Error('stop');
    await assert.rejects(openGate.acquire(AbortSignal.abort(reason)), (error) => error === reason);
  });
});

describe('reading a response', () => {
  it('adds the second Nango floors away to Retry-After and to X-RateLimit-Reset', () => {
    assert.deepEqual(planObservation({ status: 429, retryAfterSeconds: 0 }), { kind: 'block-for', ms: 1000 });
    assert.deepEqual(planObservation({ status: 429, retryAfterSeconds: 7, resetEpochSeconds: 100 }), { kind: 'block-for', ms: 8000 });
    assert.deepEqual(planObservation({ status: 429, resetEpochSeconds: 100 }), { kind: 'block-until', epochMs: 101_000 });
  });

  it('blocks for a whole window after a 429 that carries no headers', () => {
    assert.deepEqual(planObservation({ status: 429 }), { kind: 'block-for', ms: NANGO_WINDOW_MS });
  });

  it('reconciles other responses that carry Remaining and Reset, and ignores the rest', () => {
    assert.deepEqual(planObservation({ status: 200, remaining: 5, resetEpochSeconds: 100 }), {
      kind: 'reconcile',
      remaining: 5,
      resetMs: 100_000,
      blockUntilMs: 101_000,
      limit: undefined,
    });
    assert.deepEqual(planObservation({ status: 200, limit: 200, remaining: 5, resetEpochSeconds: 100 }), {
      kind: 'reconcile',
      remaining: 5,
      resetMs: 100_000,
      blockUntilMs: 101_000,
      limit: 200,
    });
    assert.deepEqual(planObservation({ status: 500, remaining: 5 }), { kind: 'none' });
    assert.deepEqual(planObservation({ status: 200, remaining: Number.NaN, resetEpochSeconds: 100 }), { kind: 'none' });
  });
});

describe('Lua scripts', () => {
  for (const name of ['token-bucket.lua', 'block.lua', 'reconcile.lua']) {
    it(`${name} documents KEYS, ARGV and its return in its header and reads only the Redis clock`, () => {
      const { source } = readLuaScript(RATELIMIT_SCRIPTS, name);
      const header = /^--\[\[([\s\S]*?)\]\]/.exec(source)?.[1] ?? '';
      for (const part of ['KEYS[1]', 'ARGV[1]', 'Returns']) assert.ok(header.includes(part), `${name}: ${part}`);
      assert.ok(source.includes("redis.call('TIME')"));
    });
  }

  it('refuses names that are not a script next to the module', () => {
    assert.throws(() => readLuaScript(RATELIMIT_SCRIPTS, '../../package.json'));
    assert.throws(() => readLuaScript(RATELIMIT_SCRIPTS, 'token-bucket.ts'));
  });

  it('are read from the module folder, the folder the build must copy them to', () => {
    const fromDisk = readFileSync(new URL('../../src/ratelimit/token-bucket.lua', import.meta.url), 'utf8');
    assert.equal(readLuaScript(RATELIMIT_SCRIPTS, 'token-bucket.lua').source, fromDisk);
  });
});
