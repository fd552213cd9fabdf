import type { ReplicatorConfig } from '../config/replicator-config.js';
import { describeFleetBudget } from '../ratelimit/describe-fleet-budget.js';
import { readFleetBudget } from '../ratelimit/read-fleet-budget.js';
import { createRedisClient } from '../redis-client/create-redis-client.js';
import { connectRedis } from '../worker/connect-redis.js';
import { fleetBudgetOptions } from '../worker/fleet-gate.js';

/**
 * The budget line of `status`: the fleet's API budget as its buckets apply it (see `readFleetBudget`), read from
 * the fleet's Redis. Null without REDIS_URL or NANGO_SECRET_KEY (the bucket's name derives from the key); a note
 * instead of failing when Redis does not answer, since the streams' table is still worth printing.
 */
export async function readStatusBudget(
  config: ReplicatorConfig,
  env: Readonly<Record<string, string | undefined>>,
): Promise<string | null> {
  const secretKey = config.nango.secretKey;
  if (!env.REDIS_URL || secretKey === undefined) return null;
  const redis = createRedisClient(config, { lazyConnect: true, connectionName: 'nango-replicator-status', maxRetriesPerRequest: 1 });
  redis.on('error', () => {}); // reported by connectRedis
  try {
    await connectRedis(redis, config.redisUrl);
    return `API budget: ${describeFleetBudget(await readFleetBudget(redis, fleetBudgetOptions(config, secretKey)))}`;
  } catch (error) {
    return `API budget: unknown (${(error as Error).message})`;
  } finally {
    redis.disconnect();
  }
}
