import type { Redis } from 'ioredis';
import { evalLuaScript } from '../redis-scripts/eval-lua-script.js';
import { type LuaScript, luaScript } from '../redis-scripts/lua-script.js';
import { readLuaScript } from '../redis-scripts/read-lua-script.js';
import { MAX_BLOCK_MS } from './plan-observation.js';

/** The folder of the bucket's Lua scripts: this module's. */
export const RATELIMIT_SCRIPTS = new URL('.', import.meta.url);

/**
 * The Redis keys of one bucket. The `{hash tag}` (the account's bucket key) puts them all in one Redis Cluster
 * slot, as the scripts need; a sub-bucket (e.g. the backfills' cap) shares the tag and the account limit.
 */
export interface BucketKeys {
  /** Hash with the tokens left, the time of the last grant and any pace. */
  readonly bucket: string;
  /** Server epoch ms before which nothing is granted. */
  readonly blocked: string;
  /** The account's real limit as Nango last reported it (X-RateLimit-Limit), shared by every bucket of the account. */
  readonly accountLimit: string;
}

/** Keys of the account bucket `key`, or of its sub-bucket `part` (e.g. `backfill`). */
export function bucketKeys(keyPrefix: string, key: string, part?: string): BucketKeys {
  const name = part === undefined ? '' : `${part}:`;
  return Object.freeze({
    bucket: `${keyPrefix}{${key}}:${name}tokens`,
    blocked: `${keyPrefix}{${key}}:${name}blocked-until`,
    accountLimit: `${keyPrefix}{${key}}:account-limit`,
  });
}

/** What a bucket is sized from; the scripts size it from the smaller of `configured` and the account's limit. */
export interface BucketSpec {
  /** The configured limit, requests per window (`requestsPerMinute`). */
  readonly configured: number;
  /** Fraction of the limit this bucket may spend, (0, 1]. */
  readonly share: number;
  /** The length of Nango's rate-limit window, ms. */
  readonly windowMs: number;
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
  /** True when the account had less left than the bucket could still grant (the bucket now paces or blocks). */
  readonly short: boolean;
  /** The account limit recorded before this response; null when none. */
  readonly previousLimit: number | null;
  /** The account limit recorded after it; null when none. */
  readonly accountLimit: number | null;
}

/** The three Lua scripts of one bucket, bound to its keys and spec. */
export interface BucketScripts {
  take(requested: number): Promise<TakeResult>;
  block(mode: 'for' | 'until', ms: number): Promise<BlockResult>;
  /** `limit` is X-RateLimit-Limit, undefined when the response had none. */
  reconcile(remaining: number, resetMs: number, blockUntilMs: number, limit: number | undefined): Promise<ReconcileResult>;
}

export function bucketScripts(deps: { redis: Redis }, options: { keys: BucketKeys; spec: BucketSpec }): BucketScripts {
  const { redis } = deps;
  const { keys, spec } = options;
  const tokenBucket = bucketLuaScript('token-bucket.lua');
  const block = bucketLuaScript('block.lua');
  const reconcile = bucketLuaScript('reconcile.lua');
  const allKeys = [keys.bucket, keys.blocked, keys.accountLimit];
  const sizing = [spec.configured, spec.share, spec.windowMs];
  return {
    async take(requested) {
      const reply = await evalLuaScript(redis, tokenBucket, allKeys, [...sizing, requested]);
      const [granted, waitMs, nowUs, blockedUntilMs] = integers(reply, 4, 'token-bucket.lua');
      return { granted, waitMs, serverTimeMs: nowUs / 1000, blockedUntilMs };
    },
    async block(mode, ms) {
      const reply = await evalLuaScript(redis, block, [keys.blocked], [mode, ms, MAX_BLOCK_MS]);
      const [nowUs, blockedUntilMs] = integers(reply, 2, 'block.lua');
      return { serverTimeMs: nowUs / 1000, blockedUntilMs };
    },
    async reconcile(remaining, resetMs, blockUntilMs, limit) {
      const args = [...sizing, remaining, resetMs, blockUntilMs, MAX_BLOCK_MS, limit !== undefined && limit > 0 ? Math.floor(limit) : 0];
      const reply = await evalLuaScript(redis, reconcile, allKeys, args);
      const [nowUs, blockedUntilMs, short, previousLimit, accountLimit] = integers(reply, 5, 'reconcile.lua');
      return {
        serverTimeMs: nowUs / 1000,
        blockedUntilMs,
        short: short === 1,
        previousLimit: previousLimit > 0 ? previousLimit : null,
        accountLimit: accountLimit > 0 ? accountLimit : null,
      };
    },
  };
}

/**
 * A bucket script as Redis runs it: token-bucket.lua and reconcile.lua preceded by bucket-lib.lua (the sizing and
 * refill they share), block.lua as it is.
 */
export function bucketLuaScript(name: 'token-bucket.lua' | 'block.lua' | 'reconcile.lua'): LuaScript {
  const script = readLuaScript(RATELIMIT_SCRIPTS, name);
  if (name === 'block.lua') return script;
  return luaScript(`${readLuaScript(RATELIMIT_SCRIPTS, 'bucket-lib.lua').source}\n${script.source}`);
}

function integers(reply: unknown, length: 2, script: string): [number, number];
function integers(reply: unknown, length: 4, script: string): [number, number, number, number];
function integers(reply: unknown, length: 5, script: string): [number, number, number, number, number];
function integers(reply: unknown, length: number, script: string): number[] {
  if (!Array.isArray(reply) || reply.length !== length || !reply.every((v) => typeof v === 'number')) {
    throw new Error(`Unexpected reply from ${script}: ${JSON.stringify(reply)}`);
  }
  return reply as number[];
}
