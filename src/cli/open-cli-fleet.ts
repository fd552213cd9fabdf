import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { ReplicatorConfig } from '../config/replicator-config.js';
import type { Secret } from '../config/secret.js';
import { ReplicatorError } from '../errors/replicator-error.js';
import { createRedisClient } from '../redis-client/create-redis-client.js';
import { connectRedis } from '../worker/connect-redis.js';
import { createFleetServices, type FleetServices } from '../worker/fleet-services.js';

/** What a one-shot command shares with the workers through `REDIS_URL`: the fleet's gate, locks and pull marks. */
export interface CliFleet extends FleetServices {
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
    ...createFleetServices({ redis, logger: deps.logger }, config, secretKey),
    owner: `${hostname()}:${process.pid} cli ${command}`,
    close: async () => void (await redis.quit()),
  };
}
