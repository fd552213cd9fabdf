import type { Redis } from 'ioredis';
import type { LuaScript } from './lua-script.js';

/**
 * Runs `script` with EVALSHA. Redis forgets scripts on restart, failover and SCRIPT FLUSH; on NOSCRIPT the script
 * is sent in full with EVAL, which also caches it again, so the next EVALSHA succeeds.
 */
export async function evalLuaScript(
  redis: Redis,
  script: LuaScript,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha1, keys.length, ...keys, ...args);
  } catch (error) {
    if (!isNoScript(error)) throw error;
    return await redis.eval(script.source, keys.length, ...keys, ...args);
  }
}

/** NOSCRIPT is the error code Redis puts first in the reply; the reply has nothing else to branch on. */
function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
