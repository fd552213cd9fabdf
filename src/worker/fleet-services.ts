import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ReplicatorConfig } from '../config/replicator-config.js';
import type { Secret } from '../config/secret.js';
import { createStreamPullMarks, PULL_MARK_TTL_MS, pullMarkKeyPrefix, type StreamPullMarks } from '../lock/stream-pull-marks.js';
import { streamLockKeyPrefix } from '../lock/with-stream-lock.js';
import { createRedisLocks, type RedisLocks } from '../lock/redis-locks.js';
import type { RedisRequestGate } from '../ratelimit/redis-request-gate.js';
import { createFleetGate } from './fleet-gate.js';

/**
 * What every process of the fleet shares through Redis, built once per process and handed to every consumer (sync
 * and backfill jobs, a one-shot `sync`): the same key prefixes and sizes everywhere, or they would not meet.
 */
export interface FleetServices {
  /** The fleet's Nango budget (see `createFleetGate`). */
  gate: RedisRequestGate;
  /** The stream locks, with `worker.lockDuration` as their lease (renewed while held). */
  locks: RedisLocks;
  /** Requests a job left while another process held a stream (see `withStreamLock`). */
  pullMarks: StreamPullMarks;
}

export function createFleetServices(deps: { redis: Redis; logger: Logger }, config: ReplicatorConfig, secretKey: Secret): FleetServices {
  const { redis, logger } = deps;
  return {
    gate: createFleetGate({ redis, logger }, config, secretKey),
    locks: createRedisLocks(
      { redis, logger: logger.child({ component: 'lock' }) },
      { keyPrefix: streamLockKeyPrefix(config.redisKeyPrefix), ttlMs: config.worker.lockDurationMs },
    ),
    pullMarks: createStreamPullMarks({ redis }, { keyPrefix: pullMarkKeyPrefix(config.redisKeyPrefix), ttlMs: PULL_MARK_TTL_MS }),
  };
}
