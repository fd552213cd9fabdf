import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { ReplicatorConfig } from '../config/replicator-config.js';
import type { Secret } from '../config/secret.js';
import { ReplicatorError } from '../errors/replicator-error.js';
import { createStreamPullMarks, PULL_MARK_TTL_MS, pullMarkKeyPrefix, type StreamPullMarks } from '../jobs/stream-pull-marks.js';
import { streamLockKeyPrefix } from '../jobs/with-stream-lock.js';
import { createRedisLocks, type RedisLocks } from '../lock/redis-locks.js';
import type { RedisRequestGate } from '../ratelimit/redis-request-gate.js';
import { createRedisClient } from '../redis-client/create-redis-client.js';
import { connectRedis } from './connect-redis.js';
import { createFleetGate } from './fleet-gate.js';

/** What a one-shot command shares with the workers through `REDIS_URL`. */
export interface CliFleet {
  /** The fleet's Nango budget (see `createFleetGate`). */
  gate: RedisRequestGate;
  /** The stream locks the workers take (same key prefix and expiry), renewed while held. */
  locks: RedisLocks;
  /** The workers' pull marks: requests a job left while this process held a stream (see `withStreamLock`). */
  pullMarks: StreamPullMarks;
  /** Stored in the locks this process takes: `<host>:<pid> cli <command>`. */
  owner: string;
  close(): Promise<void>;
}

/**
 * For one-shot commands: connects to `REDIS_URL` and returns the fleet's gate and stream locks, so a `sync` run next
 * to the workers stays inside the same budget and never reads a stream a job is reading. Fails with a message saying
 * whether Redis is unreachable or refused the password, rather than sending requests nobody accounts for.
 */
export async function openCliFleet(
  deps: { logger: Logger },
  config: ReplicatorConfig,
  secretKey: Secret,
  command: string,
): Promise<CliFleet> {
  const redis = createRedisClient(config, { lazyConnect: true, connectionName: 'nango-replicator-cli', maxRetriesPerRequest: 3 });
  redis.on('error', () => {}); // reported by connectRedis below, or by the gate and the locks while they wait
  try {
    await connectRedis(redis, config.redisUrl);
  } catch (error) {
    if (!(error instanceof ReplicatorError)) throw error;
    throw new ReplicatorError(
      error.code,
      `${error.message} (REDIS_URL is set, so this run draws on the fleet's shared Nango budget and takes its stream locks; ` +
        'unset REDIS_URL to run on its own.)',
      { retry: error.retry, cause: error, details: error.details },
    );
  }
  return {
    gate: createFleetGate({ redis, logger: deps.logger }, config, secretKey),
    locks: createRedisLocks(
      { redis, logger: deps.logger.child({ component: 'lock' }) },
      { keyPrefix: streamLockKeyPrefix(config.redisKeyPrefix), ttlMs: config.worker.lockDurationMs },
    ),
    pullMarks: createStreamPullMarks({ redis }, { keyPrefix: pullMarkKeyPrefix(config.redisKeyPrefix), ttlMs: PULL_MARK_TTL_MS }),
    owner: `${hostname()}:${process.pid} cli ${command}`,
    close: async () => void (await redis.quit()),
  };
}
