import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ReplicatorConfig } from '../config/replicator-config.js';
import { createRedisClient } from '../redis-client/create-redis-client.js';
import { connectRedis } from './connect-redis.js';

/**
 * The worker's Redis client (`REDIS_URL`; the gate, locks, pull marks and discovery lease use it), connected; its
 * connection errors are logged, as ioredis reconnects by itself. Failing to connect disconnects it and throws a message
 * saying why (see `connectRedis`).
 */
export async function openRedis(deps: { logger: Logger }, config: ReplicatorConfig): Promise<Redis> {
  const redis = createRedisClient(config, { connectionName: 'nango-replicator', lazyConnect: true });
  redis.on('error', (error) => deps.logger.warn({ err: { message: error.message } }, 'Redis connection error'));
  await connectRedis(redis, config.redisUrl); // on failure, disconnects the client
  return redis;
}
