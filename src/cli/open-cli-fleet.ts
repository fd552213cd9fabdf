import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { ReplicatorConfig } from '../config/replicator-config.js';
import type { Secret } from '../config/secret.js';
import { ReplicatorError } from '../errors/replicator-error.js';
import { createStreamPullMarks, PULL_MARK_TTL_MS, pullMarkKeyPrefix, type StreamPullMarks } from '../jobs/stream-pull-marks.js';
import { streamLockKeyPrefix } from '../jobs/with-stream-lock.js';
import { createRedisLocks, type RedisLocks } from '../lock/redis-locks.js';
import type { RedisRequestGate } from '../ratelimit/redis-request-gate.js';
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

/** How long connecting to Redis may take before the command gives up, ms. */
const CONNECT_TIMEOUT_MS = 5000;

/**
 * For one-shot commands: connects to `REDIS_URL` and returns the fleet's gate and stream locks, so a `sync` run next
 * to the workers stays inside the same budget and never reads a stream a job is reading. Fails with a clear message
 * when Redis does not answer, rather than sending requests nobody accounts for.
 */
export async function openCliFleet(deps: { logger: Logger }, config: ReplicatorConfig, secretKey: Secret, command: string): Promise<CliFleet> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(config.redisUrl.reveal(), { lazyConnect: true, connectionName: 'nango-replicator-cli', maxRetriesPerRequest: 3 });
  redis.on('error', () => {}); // reported by connect() below, or by the gate and the locks while they wait
  try {
    await Promise.race([
      redis.connect(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 5 s')), CONNECT_TIMEOUT_MS).unref()),
    ]);
  } catch (error) {
    redis.disconnect();
    throw new ReplicatorError(
      'redis_unreachable',
      `REDIS_URL is set, so this run draws on the fleet's shared Nango budget and takes its stream locks, but Redis ` +
        `does not answer (${(error as Error).message}). Start Redis, or unset REDIS_URL to run on its own.`,
      { retry: 'transient' },
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
