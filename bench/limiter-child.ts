/**
 * One process hammering the shared token bucket (not a scenario by itself). Argument: JSON
 * {@link LimiterChildConfig}. Prints `{"ready":true}` once connected, starts when a line arrives on stdin,
 * runs `callers` concurrent acquire() loops for `durationMs`, prints `{"granted":n}` and exits.
 */
import { setMaxListeners } from 'node:events';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { createRedisRequestGate } from '../src/ratelimit/redis-request-gate.js';

export interface LimiterChildConfig {
  redisUrl: string;
  keyPrefix: string;
  key: string;
  callers: number;
  durationMs: number;
}

/** So large that the bucket never runs dry: what is measured is the limiter's own cost. */
const REQUESTS_PER_MINUTE = 600_000_000;

const config = JSON.parse(process.argv[2] ?? '{}') as LimiterChildConfig;
const redis = new Redis(config.redisUrl);
const gate = createRedisRequestGate(
  { redis },
  { key: config.key, keyPrefix: config.keyPrefix, requestsPerMinute: REQUESTS_PER_MINUTE, share: 1 },
);
await redis.ping();
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);

const lines = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => lines.once('line', () => resolve()));
lines.close();

const stop = AbortSignal.timeout(config.durationMs);
setMaxListeners(config.callers + 1, stop);
await Promise.all(Array.from({ length: config.callers }, () => hammer(stop)));
process.stdout.write(`${JSON.stringify({ granted: gate.stats().granted })}\n`);
await redis.quit();

async function hammer(signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      await gate.acquire(signal);
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    }
  }
}
