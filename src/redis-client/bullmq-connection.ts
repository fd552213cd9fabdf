import type { ConnectionOptions } from 'bullmq';
import { createRedisCluster, type RedisTarget } from './create-redis-client.js';

/** BullMQ's connection to the fleet's Redis, and how to close what this module opened. */
export interface BullmqConnection {
  readonly connection: ConnectionOptions;
  /** Closes the shared cluster client, after every queue and worker using it. Idempotent; nothing on a plain Redis. */
  close(): Promise<void>;
}

/**
 * On a plain Redis, connection options: every queue and worker opens and closes its own connections. On a Redis
 * Cluster, one shared `Cluster` client (BullMQ cannot make one from options); BullMQ's workers duplicate it for
 * their blocking reads, and `close` quits it. Queue keys must then share a slot: `queue.prefix` is a hash tag
 * (`{nango-replicator}` by default on a cluster).
 */
export function bullmqConnection(target: RedisTarget, connectionName: string): BullmqConnection {
  if (target.redisClusterNodes === null) {
    return { connection: { url: target.redisUrl.reveal(), connectionName }, close: async () => {} };
  }
  const cluster = createRedisCluster(target, { connectionName, maxRetriesPerRequest: null });
  let closing: Promise<void> | undefined;
  return {
    connection: cluster,
    close: () =>
      (closing ??= cluster.quit().then(
        () => undefined,
        () => cluster.disconnect(),
      )),
  };
}
