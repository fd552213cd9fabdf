import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ReplicatorConfig } from '../config/replicator-config.js';
import type { Secret } from '../config/secret.js';
import { bucketKey } from '../ratelimit/bucket-key.js';
import type { FleetBudgetOptions } from '../ratelimit/read-fleet-budget.js';
import { createRedisRequestGate, rateLimitKeyPrefix, type RedisRequestGate } from '../ratelimit/redis-request-gate.js';

/**
 * The fleet's shared token bucket for the Nango account, as configured under `nango.rateLimit`: the same key,
 * prefix and size in every process (worker or one-shot command), so they all draw on one budget.
 */
export function createFleetGate(deps: { redis: Redis; logger: Logger }, config: ReplicatorConfig, secretKey: Secret): RedisRequestGate {
  const logger = deps.logger.child({ component: 'ratelimit' });
  return createRedisRequestGate({ redis: deps.redis, logger }, fleetBudgetOptions(config, secretKey));
}

/** Where the fleet's bucket lives and how it is configured: for `createFleetGate` and `readFleetBudget`. */
export function fleetBudgetOptions(config: ReplicatorConfig, secretKey: Secret): FleetBudgetOptions & { keyPrefix: string } {
  const { rateLimit } = config.nango;
  return {
    key: bucketKey({ key: rateLimit.key, secretKey: secretKey.reveal() }),
    keyPrefix: rateLimitKeyPrefix(config.redisKeyPrefix),
    requestsPerMinute: rateLimit.requestsPerMinute,
    share: rateLimit.share,
    windowMs: rateLimit.windowMs,
  };
}
