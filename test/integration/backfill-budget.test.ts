import assert from 'node:assert/strict';
import { setMaxListeners } from 'node:events';
import { describe, test } from 'node:test';
import { bucketSize } from '../../src/ratelimit/bucket-size.js';
import { composeRequestGates } from '../../src/ratelimit/compose-request-gates.js';
import { createRedisRequestGate } from '../../src/ratelimit/redis-request-gate.js';
import type { RequestGate } from '../../src/ratelimit/request-gate.js';
import { useRedisTestPrefix } from '../helpers/redis-test-prefix.js';

const RPM = 600;
const BACKFILL_SHARE = 0.25;
const RUN_MS = 3000;

describe('the backfill share of the API budget', () => {
  const { prefix: PREFIX, redis } = useRedisTestPrefix('backfill-budget');

  /** Callers that ask for tokens back to back until `stop`; resolves with how many they got. */
  async function spend(gate: RequestGate, callers: number, stop: AbortSignal): Promise<number> {
    let granted = 0;
    const caller = async () => {
      while (!stop.aborted) {
        try {
          await gate.acquire(stop);
          granted += 1;
        } catch {
          return; // stopped while waiting
        }
      }
    };
    await Promise.all(Array.from({ length: callers }, caller));
    return granted;
  }

  test('backfills never take more than their share, and incremental syncs get the rest', async () => {
    const fleet = createRedisRequestGate({ redis }, { key: 'acct', keyPrefix: PREFIX, requestsPerMinute: RPM, share: 1 });
    const cap = createRedisRequestGate(
      { redis },
      { key: 'acct:backfill', keyPrefix: PREFIX, requestsPerMinute: RPM, share: BACKFILL_SHARE },
    );
    const backfillGate = composeRequestGates({ cap, shared: fleet });
    const stop = AbortSignal.timeout(RUN_MS);
    setMaxListeners(32, stop); // one listener per waiting caller
    const [backfills, syncs] = await Promise.all([spend(backfillGate, 8, stop), spend(fleet, 8, stop)]);

    const total = bucketSize(RPM, 1);
    const capped = bucketSize(RPM, BACKFILL_SHARE);
    const backfillMost = capped.burst + capped.ratePerMs * RUN_MS + 1;
    const allMost = total.burst + total.ratePerMs * RUN_MS + 1;
    assert.ok(backfills <= backfillMost, `backfills got ${backfills}, at most ${backfillMost.toFixed(1)} allowed`);
    assert.ok(backfills >= capped.burst, `backfills got their share (${backfills})`);
    assert.ok(backfills + syncs <= allMost, `${backfills + syncs} in all, at most ${allMost.toFixed(1)}`);
    assert.ok(syncs >= allMost - backfillMost - 3, `syncs got the rest: ${syncs}`);
  });

  test('responses are reported to the fleet bucket: a 429 blocks backfills and syncs alike', async () => {
    const fleetGrants: number[] = [];
    const fleet = createRedisRequestGate(
      { redis, onGrant: (t) => fleetGrants.push(t) },
      { key: 'acct2', keyPrefix: PREFIX, requestsPerMinute: RPM, share: 1 },
    );
    const cap = createRedisRequestGate(
      { redis },
      { key: 'acct2:backfill', keyPrefix: PREFIX, requestsPerMinute: RPM, share: BACKFILL_SHARE },
    );
    const backfillGate = composeRequestGates({ cap, shared: fleet });
    await backfillGate.observe({ status: 429, retryAfterSeconds: 1 });
    assert.ok(fleet.stats().tooManyRequests === 1 && cap.stats().tooManyRequests === 0);
    const blockedUntilMs = fleet.stats().blockedUntilMs;
    assert.ok(blockedUntilMs > 0);
    await backfillGate.acquire();
    // On the Redis clock (the grant's server time), not this process's: it was granted only once the block ended.
    assert.equal(fleetGrants.length, 1, 'the backfill took its token from the fleet bucket');
    assert.ok(fleetGrants[0]! >= blockedUntilMs, 'the backfill waited out the block');
  });
});
