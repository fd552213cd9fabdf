import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ReplicatorConfig } from '../config/replicator-config.js';
import type { Secret } from '../config/secret.js';
import { bucketKey } from '../ratelimit/bucket-key.js';
import { composeRequestGates } from '../ratelimit/compose-request-gates.js';
import { createRedisRequestGate, rateLimitKeyPrefix } from '../ratelimit/redis-request-gate.js';
import type { RequestGate } from '../ratelimit/request-gate.js';

/**
 * The gate of backfill requests: their own part of the fleet's Redis bucket, `backfill`, sized to `backfill.budgetShare`
 * of the fleet's budget, then `fleetGate`. Backfills together never take more than their share, so incremental
 * syncs keep the rest.
 */
export function backfillRequestGate(
  deps: { redis: Redis; logger: Logger; fleetGate: RequestGate },
  config: ReplicatorConfig,
  secretKey: Secret,
): RequestGate {
  const rateLimit = config.nango.rateLimit;
  const cap = createRedisRequestGate(
    { redis: deps.redis, logger: deps.logger.child({ component: 'ratelimit', bucket: 'backfill' }) },
    {
      key: bucketKey({ key: rateLimit.key, secretKey: secretKey.reveal() }),
      part: 'backfill',
      keyPrefix: rateLimitKeyPrefix(config.redisKeyPrefix),
      requestsPerMinute: rateLimit.requestsPerMinute,
      share: rateLimit.share * config.backfill.budgetShare,
      windowMs: rateLimit.windowMs,
    },
  );
  return composeRequestGates({ cap, shared: deps.fleetGate });
}
