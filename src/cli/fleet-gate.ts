import type { Redis } from 'ioredis';
import { ReplicatorError } from '../errors/replicator-error.js';
import type { Logger } from 'pino';
import type { ReplicatorConfig } from '../config/replicator-config.js';
import type { Secret } from '../config/secret.js';
import { bucketKey } from '../ratelimit/bucket-key.js';
import { createRedisRequestGate, type RedisRequestGate } from '../ratelimit/redis-request-gate.js';

/**
 * The fleet's shared token bucket for the Nango account, as configured under `nango.rateLimit`: the same key,
 * prefix and size in every process (worker or one-shot command), so they all draw on one budget.
 */
export function createFleetGate(deps: { redis: Redis; logger: Logger }, config: ReplicatorConfig, secretKey: Secret): RedisRequestGate {
  return createRedisRequestGate(
    { redis: deps.redis, logger: deps.logger.child({ component: 'ratelimit' }) },
    {
      key: bucketKey({ key: config.nango.rateLimit.key, secretKey: secretKey.reveal() }),
      keyPrefix: `${config.redisKeyPrefix}ratelimit:`,
      requestsPerMinute: config.nango.rateLimit.requestsPerMinute,
      share: config.nango.rateLimit.share,
    },
  );
}

/**
 * For one-shot commands: connects to `REDIS_URL` and returns the fleet's gate, so a `sync` run next to the
 * workers stays inside the same budget. Fails with a clear message when Redis does not answer, rather than
 * sending requests nobody accounts for.
 */
export async function openFleetGate(
  deps: { logger: Logger },
  config: ReplicatorConfig,
  secretKey: Secret,
): Promise<{ gate: RedisRequestGate; close(): Promise<void> }> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(config.redisUrl.reveal(), { lazyConnect: true, connectionName: 'nango-replicator-cli', maxRetriesPerRequest: 3 });
  redis.on('error', () => {}); // reported by connect() below, or by the gate while it waits
  try {
    await Promise.race([
      redis.connect(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 5 s')), 5000).unref()),
    ]);
  } catch (error) {
    redis.disconnect();
    throw new ReplicatorError(
      'redis_unreachable',
      `REDIS_URL is set, so this run draws on the fleet's shared Nango budget, but Redis does not answer ` +
        `(${(error as Error).message}). Start Redis, or unset REDIS_URL to run on its own.`,
      { retry: 'transient' },
    );
  }
  return { gate: createFleetGate({ redis, logger: deps.logger }, config, secretKey), close: async () => void (await redis.quit()) };
}
