import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { bucketKeys } from '../../src/ratelimit/bucket-scripts.js';
import { bucketSize } from '../../src/ratelimit/bucket-size.js';
import { createRedisRequestGate } from '../../src/ratelimit/redis-request-gate.js';
import { REDIS_URL, useRedisTestPrefix } from '../helpers/redis-test-prefix.js';
import { waitUntil } from '../helpers/worker-fleet.js';
import type { FleetChildConfig } from './ratelimit-fleet-child.js';

const { prefix: PREFIX, redis } = useRedisTestPrefix('ratelimit-fleet');
const CHILD = new URL('./ratelimit-fleet-child.ts', import.meta.url).pathname;
// High enough that a few seconds show both the burst and the steady refill: budget 6000/min, burst 300, 95/s.
const RPM = 12_000;
const SHARE = 0.5;
const SIZE = bucketSize(RPM, SHARE);
const CALLERS_PER_PROCESS = 20;
const WINDOWS_MS = [20, 50, 100, 250, 500, 1000, 2000];
const MINUTES = 60_000;

interface ChildResult {
  grants: number[];
  clientNowMs: number;
}

/** Spawns one child per skew, starts them together, runs `during` meanwhile, returns every grant's server time. */
async function runFleet(options: {
  key: string;
  durationMs: number;
  clockSkewsMs: number[];
  during?: () => Promise<void>;
}): Promise<{ grants: number[]; children: ChildResult[] }> {
  const children = options.clockSkewsMs.map((clockSkewMs) => {
    const config: FleetChildConfig = {
      redisUrl: REDIS_URL,
      keyPrefix: PREFIX,
      key: options.key,
      requestsPerMinute: RPM,
      share: SHARE,
      callers: CALLERS_PER_PROCESS,
      durationMs: options.durationMs,
      clockSkewMs,
    };
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(config)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout });
    const messages: unknown[] = [];
    const waiters: ((message: unknown) => void)[] = [];
    lines.on('line', (line) => {
      const message: unknown = JSON.parse(line);
      const waiter = waiters.shift();
      if (waiter) waiter(message);
      else messages.push(message);
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const next = (): Promise<unknown> =>
      messages.length > 0 ? Promise.resolve(messages.shift()) : new Promise((resolve) => waiters.push(resolve));
    return { child, next, exited };
  });
  await Promise.all(children.map((c) => c.next()));
  for (const c of children) c.child.stdin.end('go\n');
  await options.during?.();
  const results = (await Promise.all(children.map((c) => c.next()))) as ChildResult[];
  const codes = await Promise.all(children.map((c) => c.exited));
  assert.deepEqual(
    codes,
    children.map(() => 0),
    'every child exits cleanly',
  );
  const grants = results.flatMap((r) => r.grants).sort((a, b) => a - b);
  return { grants, children: results };
}

/** Largest number of grants in any closed interval [t, t + w] that starts at a grant. */
function maxInSlidingWindow(sorted: number[], windowMs: number): number {
  let best = 0;
  let end = 0;
  for (let start = 0; start < sorted.length; start++) {
    const from = sorted[start] ?? 0;
    while (end < sorted.length && (sorted[end] ?? Infinity) <= from + windowMs) end++;
    best = Math.max(best, end - start);
  }
  return best;
}

/** Largest number of grants in any window [k w, (k + 1) w) aligned to the epoch. */
function maxInAlignedWindow(sorted: number[], windowMs: number): number {
  const counts = new Map<number, number>();
  for (const t of sorted) {
    const slot = Math.floor(t / windowMs);
    counts.set(slot, (counts.get(slot) ?? 0) + 1);
  }
  return Math.max(0, ...counts.values());
}

/** What the budget math allows in any interval of w ms. */
function allowed(windowMs: number): number {
  return Math.floor(SIZE.burst + SIZE.ratePerMs * windowMs + 1e-9);
}

function assertWithinBudget(grants: number[]): void {
  const span = (grants.at(-1) ?? 0) - (grants[0] ?? 0);
  for (const w of [...WINDOWS_MS, span]) {
    assert.ok(maxInSlidingWindow(grants, w) <= allowed(w), `sliding ${w} ms: ${maxInSlidingWindow(grants, w)} > ${allowed(w)}`);
    assert.ok(maxInAlignedWindow(grants, w) <= allowed(w), `aligned ${w} ms: ${maxInAlignedWindow(grants, w)} > ${allowed(w)}`);
  }
}

function assertUsesBudget(grants: number[]): void {
  const span = (grants.at(-1) ?? 0) - (grants[0] ?? 0);
  const budget = SIZE.burst + SIZE.ratePerMs * span;
  if (process.env.RATELIMIT_TEST_DEBUG)
    console.log({ used: grants.length, budget, span, maxSliding: WINDOWS_MS.map((w) => [w, maxInSlidingWindow(grants, w), allowed(w)]) });
  assert.ok(grants.length >= 0.95 * budget, `used ${grants.length} of ${budget.toFixed(1)} over ${span.toFixed(0)} ms`);
}

describe('a fleet of 3 processes x 20 callers sharing one bucket', () => {
  let steady: { grants: number[]; children: ChildResult[] };

  before(async () => {
    steady = await runFleet({ key: 'steady', durationMs: 3000, clockSkewsMs: [0, 0, 0] });
  });

  it('is never granted more than burst + rate x w in any sliding window of w ms', () => {
    assert.ok(steady.grants.length > SIZE.burst, 'the run went past the initial burst');
    assertWithinBudget(steady.grants);
  });

  it('uses at least 95% of its budget while callers are always waiting', () => {
    assertUsesBudget(steady.grants);
  });

  it('spreads grants over every process', () => {
    for (const child of steady.children) assert.ok(child.grants.length > 0);
  });

  it('keeps to the budget and uses it when the processes clocks are minutes apart', async () => {
    const skews = [7 * MINUTES, -9 * MINUTES, 0];
    const before = Date.now();
    const skewed = await runFleet({ key: 'skewed', durationMs: 3000, clockSkewsMs: skews });
    skewed.children.forEach((child, i) => {
      const seen = child.clientNowMs - before;
      assert.ok(Math.abs(seen - (skews[i] ?? 0)) < MINUTES, `child ${i} really ran with a skewed clock`);
    });
    assertWithinBudget(skewed.grants);
    assertUsesBudget(skewed.grants);
  });

  it('grants nothing to any process for N seconds after one observes a 429 with Retry-After N', async () => {
    const retryAfterSeconds = 1;
    const observer = new Redis(REDIS_URL);
    const gate = createRedisRequestGate({ redis: observer }, { key: 'blocked', keyPrefix: PREFIX, requestsPerMinute: RPM, share: SHARE });
    const { grants } = await runFleet({
      key: 'blocked',
      durationMs: 4000,
      clockSkewsMs: [0, 0, 0],
      during: async () => {
        // Once the fleet is drawing on the bucket (its key exists), rather than after a fixed second.
        const bucket = bucketKeys(PREFIX, 'blocked').bucket;
        await waitUntil(async () => assert.equal(await redis.exists(bucket), 1, 'the fleet has not taken a token yet'), 10_000, 5);
        await gate.observe({ status: 429, limit: RPM, remaining: 0, retryAfterSeconds });
      },
    });
    await observer.quit();
    const blockedUntilMs = gate.stats().blockedUntilMs;
    // The block was set at most 1 ms before blockedUntilMs - (N + 1) s (Nango floors Retry-After, so one more second).
    const blockedFromMs = blockedUntilMs - (retryAfterSeconds + 1) * 1000;
    const during = grants.filter((t) => t > blockedFromMs && t < blockedUntilMs);
    assert.deepEqual(during, [], 'no grant while blocked');
    assert.ok(blockedUntilMs - blockedFromMs >= retryAfterSeconds * 1000);
    assert.ok(
      grants.some((t) => t <= blockedFromMs),
      'grants before the 429',
    );
    assert.ok(
      grants.some((t) => t >= blockedUntilMs),
      'the fleet resumes after the block',
    );
    assertWithinBudget(grants);
  });
});
