import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { BenchDatabase } from './bench-database.js';
import { startBenchStandIn } from './bench-stand-in.js';
import { childConfig, expectAll, PRODUCT_SCHEMA } from './product-scenarios.js';
import { runSyncChild } from './run-sync-child.js';

export interface RateLimitedSample {
  elapsedMs: number;
  /** Requests needed / allowed rate: what a perfect client spending the whole budget evenly would take. */
  idealMs: number;
  requests: number;
  /** 429s the stand-in sent. */
  tooManyRequests: number;
  /** 429s the sync's limiter was told of (should equal the above). */
  tooManyRequestsSeen: number;
  maxRssBytes: number;
}

/** The budget share the bench's limiter may spend: the stand-in's account serves nobody else. */
const SHARE = 1;

/**
 * One sync of `records` records at `pageSize` through the shared Redis token bucket, against a fresh stand-in
 * enforcing `requestsPerMinute` (fresh, so its fixed window starts with this run). Returns time vs ideal.
 */
export async function rateLimitedRun(
  database: BenchDatabase,
  options: { records: number; pageSize: number; requestsPerMinute: number; redisUrl: string; syncChild: string; fillfactor: number },
): Promise<RateLimitedSample> {
  const bench = await startBenchStandIn({ records: options.records, requestsPerMinute: options.requestsPerMinute });
  const keyPrefix = `bench:ratelimit:${randomUUID()}:`;
  try {
    await database.reset([PRODUCT_SCHEMA]);
    await database.checkpoint();
    const ctx = { database, bench, fillfactor: options.fillfactor };
    const result = await runSyncChild(options.syncChild, {
      ...childConfig(ctx, options.pageSize),
      gate: { redisUrl: options.redisUrl, keyPrefix, key: 'bench', requestsPerMinute: options.requestsPerMinute, share: SHARE },
    });
    expectAll(ctx, result, 'rate-limited sync');
    const counts = bench.requestCounts();
    return {
      elapsedMs: result.elapsedMs,
      idealMs: (counts.all / options.requestsPerMinute) * 60_000,
      requests: counts.all,
      tooManyRequests: counts.tooManyRequests,
      tooManyRequestsSeen: result.tooManyRequests,
      maxRssBytes: result.maxRssBytes,
    };
  } finally {
    await bench.close();
    const redis = new Redis(options.redisUrl);
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  }
}
