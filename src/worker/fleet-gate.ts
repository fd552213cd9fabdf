import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ReplicatorConfig } from '../config/replicator-config.js';
import type { Secret } from '../config/secret.js';
import { bucketKey } from '../ratelimit/bucket-key.js';
import { createRedisRequestGate, rateLimitKeyPrefix, type RedisRequestGate } from '../ratelimit/redis-request-gate.js';

/**
 * The fleet's shared token bucket for the Nango account, as configured under `nango.rateLimit`: the same key,
 * prefix and size in every process (worker or one-shot command), so they all draw on one budget.
 */
export function createFleetGate(deps: { redis: Redis; logger: Logger }, config: ReplicatorConfig, secretKey: Secret): RedisRequestGate {
  return createRedisRequestGate(
    { redis: deps.redis, logger: deps.logger.child({ component: 'ratelimit' }) },
    {
      key: bucketKey({ key: config.nango.rateLimit.key, secretKey: secretKey.reveal() }),
      keyPrefix: rateLimitKeyPrefix(config.redisKeyPrefix),
      requestsPerMinute: config.nango.rateLimit.requestsPerMinute,
      share: config.nango.rateLimit.share,
    },
  );
}
