import { randomUUID } from 'node:crypto';
import { after } from 'node:test';
import { Redis } from 'ioredis';

/** The Redis the tests use. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix of one test file and a client to look at its keys. */
export interface RedisTestPrefix {
  /** `test:<label>:<uuid>:`: no other file, nor another run of this one, uses it. */
  readonly prefix: string;
  /** Connects on its first command. */
  readonly redis: Redis;
}

/**
 * A fresh key prefix and a client, for the suite (or file) this is called in: after its tests, every key under the
 * prefix is deleted and the client closed, so the file leaves nothing behind in a Redis other files share.
 */
export function useRedisTestPrefix(label: string, options: { url?: string } = {}): RedisTestPrefix {
  const prefix = `test:${label}:${randomUUID()}:`;
  const redis = new Redis(options.url ?? REDIS_URL, { lazyConnect: true });
  after(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });
  return { prefix, redis };
}
