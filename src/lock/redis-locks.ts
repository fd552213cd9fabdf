import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { evalLuaScript } from '../redis-scripts/eval-lua-script.js';
import { readLuaScript } from '../redis-scripts/read-lua-script.js';

/** A lock this process holds. Renewed in the background until released or lost. */
export interface HeldLock {
  readonly key: string;
  /** The value stored under the key: `<owner> <uuid>`. */
  readonly token: string;
  /**
   * Aborts when the lock is lost: its key expired or holds another token, or Redis could not confirm it for a
   * whole `ttlMs`. Work guarded by the lock should stop at its next safe point.
   */
  readonly lost: AbortSignal;
  /** Stops renewing and deletes the key if it still holds this token. Idempotent; never throws. */
  release(): Promise<void>;
}

export interface RedisLocks {
  /** Takes the lock `name` if nobody holds it; null when someone does. `owner` is stored for operators to read. */
  tryAcquire(name: string, owner: string): Promise<HeldLock | null>;
  /** The token of whoever holds `name`, or null. */
  holder(name: string): Promise<string | null>;
}

export interface RedisLocksOptions {
  /** Prefix of the lock keys, e.g. `nango-replicator:lock:`. */
  keyPrefix: string;
  /** Expiry of a lock that is not renewed (its holder died), ms. */
  ttlMs: number;
  /** Renewal period, ms. Default a third of `ttlMs`, so two renewals may fail before the lock expires. */
  renewEveryMs?: number;
}

/** The folder of the lock's Lua scripts: this module's. */
const LOCK_SCRIPTS = new URL('.', import.meta.url);

/**
 * Mutual exclusion across processes with a Redis key per lock: `SET NX PX` to take it, token-checked renewal
 * (extend-lock.lua) and release (release-lock.lua), so a holder that lost its lock can never extend or delete
 * the next holder's. Expiry frees the lock of a process that died without releasing it.
 */
export function createRedisLocks(deps: { redis: Redis; logger?: Logger }, options: RedisLocksOptions): RedisLocks {
  const { redis, logger } = deps;
  const renewEveryMs = options.renewEveryMs ?? Math.max(1, Math.floor(options.ttlMs / 3));
  const keyOf = (name: string) => `${options.keyPrefix}${name}`;
  const extendScript = readLuaScript(LOCK_SCRIPTS, 'extend-lock.lua');
  const releaseScript = readLuaScript(LOCK_SCRIPTS, 'release-lock.lua');

  async function tryAcquire(name: string, owner: string): Promise<HeldLock | null> {
    const key = keyOf(name);
    const token = `${owner} ${randomUUID()}`;
    const taken = await redis.set(key, token, 'PX', options.ttlMs, 'NX');
    if (taken !== 'OK') return null;
    return hold(key, token);
  }

  function hold(key: string, token: string): HeldLock {
    const controller = new AbortController();
    let confirmedAt = performance.now();
    let renewing = false;
    let released: Promise<void> | undefined;
    const lose = (reason: string) => {
      clearInterval(timer);
      if (!controller.signal.aborted) {
        logger?.warn({ lock: key, reason }, 'lock lost');
        controller.abort(new Error(`lock ${key} lost: ${reason}`));
      }
    };
    const renew = async () => {
      if (renewing || released) return;
      renewing = true;
      const startedAt = performance.now();
      try {
        const renewed = await evalLuaScript(redis, extendScript, [key], [token, options.ttlMs]);
        if (released) return;
        if (renewed === 1) confirmedAt = startedAt;
        else lose('it expired or another holder took it');
      } catch (error) {
        logger?.warn({ lock: key, err: error }, 'could not renew a lock; trying again');
        if (performance.now() - confirmedAt >= options.ttlMs) lose('Redis did not confirm it for a whole expiry period');
      } finally {
        renewing = false;
      }
    };
    const timer = setInterval(() => void renew(), renewEveryMs);
    return {
      key,
      token,
      lost: controller.signal,
      release() {
        released ??= (async () => {
          clearInterval(timer);
          if (controller.signal.aborted) return;
          try {
            await evalLuaScript(redis, releaseScript, [key], [token]);
          } catch (error) {
            // The key expires on its own; the next holder only waits longer.
            logger?.warn({ lock: key, err: error }, 'could not release a lock; it will expire');
          }
        })();
        return released;
      },
    };
  }

  return {
    tryAcquire,
    holder: (name) => redis.get(keyOf(name)),
  };
}
