import type { Redis } from 'ioredis';
import type { BucketSize } from './bucket-size.js';
import { evalLuaScript } from '../redis-scripts/eval-lua-script.js';
import { readLuaScript } from '../redis-scripts/read-lua-script.js';
import { MAX_BLOCK_MS } from './plan-observation.js';

/** The folder of the bucket's Lua scripts: this module's. */
export const RATELIMIT_SCRIPTS = new URL('.', import.meta.url);

/** The Redis keys of one bucket. The `{hash tag}` puts both in one Redis Cluster slot, as the scripts need. */
export interface BucketKeys {
  /** Hash with the tokens left and the time of the last grant. */
  readonly bucket: string;
  /** Server epoch ms before which nothing is granted. */
  readonly blocked: string;
}

export function bucketKeys(keyPrefix: string, key: string): BucketKeys {
  return Object.freeze({ bucket: `${keyPrefix}{${key}}:tokens`, blocked: `${keyPrefix}{${key}}:blocked-until` });
}

export interface TakeResult {
  /** Tokens granted, 0..requested. */
  readonly granted: number;
  /** When fewer than requested were granted: ms until the next token or the end of a block; else 0. */
  readonly waitMs: number;
  /** Redis server time of the decision, epoch ms (microsecond precision). */
  readonly serverTimeMs: number;
  /** Block in force, server epoch ms; 0 when none. */
  readonly blockedUntilMs: number;
}

export interface BlockResult {
  readonly serverTimeMs: number;
  /** Block in force after the call, server epoch ms; 0 when none. */
  readonly blockedUntilMs: number;
}

export interface ReconcileResult extends BlockResult {
  /** True when the account had less left than the bucket could still grant. */
  readonly short: boolean;
}

/** The three Lua scripts of one bucket, bound to its keys and size. */
export interface BucketScripts {
  take(requested: number): Promise<TakeResult>;
  block(mode: 'for' | 'until', ms: number): Promise<BlockResult>;
  reconcile(remaining: number, resetMs: number, blockUntilMs: number): Promise<ReconcileResult>;
}

export function bucketScripts(deps: { redis: Redis }, options: { keys: BucketKeys; size: BucketSize }): BucketScripts {
  const { redis } = deps;
  const { keys, size } = options;
  const tokenBucket = readLuaScript(RATELIMIT_SCRIPTS, 'token-bucket.lua');
  const block = readLuaScript(RATELIMIT_SCRIPTS, 'block.lua');
  const reconcile = readLuaScript(RATELIMIT_SCRIPTS, 'reconcile.lua');
  return {
    async take(requested) {
      const args = [size.burst, size.ratePerMs, requested];
      const reply = await evalLuaScript(redis, tokenBucket, [keys.bucket, keys.blocked], args);
      const [granted, waitMs, nowUs, blockedUntilMs] = integers(reply, 4, 'token-bucket.lua');
      return { granted, waitMs, serverTimeMs: nowUs / 1000, blockedUntilMs };
    },
    async block(mode, ms) {
      const reply = await evalLuaScript(redis, block, [keys.blocked], [mode, ms, MAX_BLOCK_MS]);
      const [nowUs, blockedUntilMs] = integers(reply, 2, 'block.lua');
      return { serverTimeMs: nowUs / 1000, blockedUntilMs };
    },
    async reconcile(remaining, resetMs, blockUntilMs) {
      const args = [size.burst, size.ratePerMs, remaining, resetMs, blockUntilMs, size.burst, MAX_BLOCK_MS];
      const reply = await evalLuaScript(redis, reconcile, [keys.bucket, keys.blocked], args);
      const [nowUs, blockedUntilMs, short] = integers(reply, 3, 'reconcile.lua');
      return { serverTimeMs: nowUs / 1000, blockedUntilMs, short: short === 1 };
    },
  };
}

function integers(reply: unknown, length: 2, script: string): [number, number];
function integers(reply: unknown, length: 3, script: string): [number, number, number];
function integers(reply: unknown, length: 4, script: string): [number, number, number, number];
function integers(reply: unknown, length: number, script: string): number[] {
  if (!Array.isArray(reply) || reply.length !== length || !reply.every((v) => typeof v === 'number')) {
    throw new Error(`Unexpected reply from ${script}: ${JSON.stringify(reply)}`);
  }
  return reply as number[];
}
