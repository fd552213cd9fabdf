import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { evalLuaScript } from '../redis-scripts/eval-lua-script.js';
import { readLuaScript } from '../redis-scripts/read-lua-script.js';
import { encodeLockToken, lockOwner, parseLockToken } from './lock-owner.js';
import { holderProcessState, type ProcessIdentity, readProcessIdentity } from './process-identity.js';

/** A lock this process holds. Renewed in the background until released or lost. */
export interface HeldLock {
  readonly key: string;
  /** The value stored under the key (see `LockToken`). */
  readonly token: string;
  /**
   * The token of the holder this lock was taken over from: a process of this machine that no longer existed,
   * whose lock had not expired yet. Null when the lock was free.
   */
  readonly takenOverFrom: string | null;
  /**
   * Aborts when the lock is lost: its key expired or holds another token, or Redis could not confirm it for a
   * whole `ttlMs`. Work guarded by the lock should stop at its next safe point.
   */
  readonly lost: AbortSignal;
  /** Stops renewing and deletes the key if it still holds this token. Idempotent; never throws. */
  release(): Promise<void>;
}

/** Who holds a lock, and until when if they stop renewing it. */
export interface LockHolding {
  /** The holder's token (see `LockToken`; `lockOwner` reads who it is). */
  token: string;
  /** When the lock expires unless renewed (its holder renews it while alive), by this process's clock. */
  expiresAt: Date;
}

export interface RedisLocks {
  /**
   * Takes the lock `name` if nobody holds it, or if its holder is a process of this machine that no longer exists
   * (then at once, without waiting for the lock to expire); null when a live process holds it, or one that can't
   * be checked (another machine or container). `owner` is stored for operators to read, e.g. `<host>:<pid> job 17`.
   */
  tryAcquire(name: string, owner: string): Promise<HeldLock | null>;
  /** The token of whoever holds `name`, or null. */
  holder(name: string): Promise<string | null>;
  /** Whoever holds `name` and when the lock expires, or null. */
  holding(name: string): Promise<LockHolding | null>;
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

/** Tries of `tryAcquire` when the lock changes hands between its steps. */
const ACQUIRE_TRIES = 3;

export interface RedisLocksDeps {
  redis: Redis;
  logger?: Logger;
  /**
   * This process, stored in its tokens so another process of the machine can tell once it is gone, and used to
   * check holders. Default: read from /proc (`readProcessIdentity`); null: none (never takes a lock over).
   */
  self?: ProcessIdentity | null;
}

/**
 * Mutual exclusion across processes with a Redis key per lock: `SET NX PX` to take it, token-checked renewal
 * (extend-lock.lua) and release (release-lock.lua), so a holder that lost its lock can never extend or delete
 * the next holder's. A process that died without releasing frees its lock when it expires; sooner for a process of
 * the same machine, which sees it is gone and takes the lock over (take-over-lock.lua, on the dead holder's token).
 */
export function createRedisLocks(deps: RedisLocksDeps, options: RedisLocksOptions): RedisLocks {
  const { redis, logger } = deps;
  const self = deps.self === undefined ? readProcessIdentity() : deps.self;
  const renewEveryMs = options.renewEveryMs ?? Math.max(1, Math.floor(options.ttlMs / 3));
  const keyOf = (name: string) => `${options.keyPrefix}${name}`;
  const extendScript = readLuaScript(LOCK_SCRIPTS, 'extend-lock.lua');
  const releaseScript = readLuaScript(LOCK_SCRIPTS, 'release-lock.lua');
  const takeOverScript = readLuaScript(LOCK_SCRIPTS, 'take-over-lock.lua');

  async function tryAcquire(name: string, owner: string): Promise<HeldLock | null> {
    const key = keyOf(name);
    const token = encodeLockToken(owner, self);
    for (let tries = 0; tries < ACQUIRE_TRIES; tries++) {
      if ((await redis.set(key, token, 'PX', options.ttlMs, 'NX')) === 'OK') return hold(key, token, null);
      const current = await redis.get(key);
      if (current === null) continue; // released since
      if (holderProcessState(parseLockToken(current).process, self) !== 'gone') return null;
      if ((await evalLuaScript(redis, takeOverScript, [key], [current, token, options.ttlMs])) === 1) {
        logger?.warn(
          { lock: key, deadHolder: lockOwner(current) },
          'took over a lock whose holder, a process of this machine, no longer exists',
        );
        return hold(key, token, current);
      }
      // Changed hands since it was read (expired and taken, or taken over by another): look again.
    }
    return null;
  }

  async function holding(name: string): Promise<LockHolding | null> {
    const replies = await redis.multi().get(keyOf(name)).pttl(keyOf(name)).exec();
    const token = replies?.[0]?.[1];
    const ttlMs = replies?.[1]?.[1];
    if (typeof token !== 'string' || typeof ttlMs !== 'number') return null;
    // PTTL is -1 for a key without expiry (not one of ours), -2 once gone.
    return { token, expiresAt: new Date(Date.now() + Math.max(0, ttlMs)) };
  }

  function hold(key: string, token: string, takenOverFrom: string | null): HeldLock {
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
      takenOverFrom,
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
    holding,
  };
}
