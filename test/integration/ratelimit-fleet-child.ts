/**
 * One process of the fleet in ratelimit-fleet.test.ts (not a test itself). Argument: JSON FleetChildConfig.
 * Prints `{"ready":true}` once connected, starts when a line arrives on stdin, runs `callers` concurrent loops of
 * acquire() for `durationMs`, then prints `{"grants":[server ms...],"clientNowMs":...}` and exits.
 */
import { setMaxListeners } from 'node:events';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { createRedisRequestGate } from '../../src/ratelimit/redis-request-gate.js';

export interface FleetChildConfig {
  redisUrl: string;
  keyPrefix: string;
  key: string;
  requestsPerMinute: number;
  share: number;
  callers: number;
  durationMs: number;
  /** Added to every reading of this process's wall clock (Date.now and new Date()). */
  clockSkewMs: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as FleetChildConfig;
if (config.clockSkewMs !== 0) skewClock(config.clockSkewMs);

const redis = new Redis(config.redisUrl);
const grants: number[] = [];
const gate = createRedisRequestGate(
  { redis, onGrant: (serverTimeMs) => grants.push(serverTimeMs) },
  { key: config.key, keyPrefix: config.keyPrefix, requestsPerMinute: config.requestsPerMinute, share: config.share },
);
await redis.ping();
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);

const lines = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => lines.once('line', () => resolve()));
lines.close();

const stop = AbortSignal.timeout(config.durationMs);
// Every caller listens to the same signal while it waits.
setMaxListeners(config.callers + 1, stop);
await Promise.all(Array.from({ length: config.callers }, () => hammer(stop)));
process.stdout.write(`${JSON.stringify({ grants, clientNowMs: Date.now(), stats: gate.stats() })}\n`);
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

function skewClock(skewMs: number): void {
  const RealDate = Date;
  const realNow = Date.now.bind(Date);
  class SkewedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(realNow() + skewMs);
      else super(...(args as [string | number]));
    }
    static override now(): number {
      return realNow() + skewMs;
    }
  }
  globalThis.Date = SkewedDate as DateConstructor;
}
