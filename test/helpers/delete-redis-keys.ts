import type { Redis } from 'ioredis';

/** Deletes every key matching one of `patterns`, by SCAN (never KEYS on a shared server). */
export async function deleteRedisKeys(redis: Redis, patterns: ReadonlyArray<string>): Promise<void> {
  for (const pattern of patterns) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  }
}
