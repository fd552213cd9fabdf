import { Cluster, Redis } from 'ioredis';
import type { ReplicatorConfig } from '../config/replicator-config.js';

/** How a process reaches the fleet's Redis: `REDIS_URL`, and with `REDIS_CLUSTER_NODES` the cluster's seed nodes. */
export type RedisTarget = Pick<ReplicatorConfig, 'redisUrl' | 'redisClusterNodes'>;

export interface RedisClientOptions {
  /** CLIENT SETNAME of every connection, e.g. `nango-replicator`. */
  connectionName: string;
  /** Connect on `connect()` rather than at once. Default false. */
  lazyConnect?: boolean;
  /** ioredis' retries of one command while reconnecting; null: forever (BullMQ's workers need it). Default 20. */
  maxRetriesPerRequest?: number | null;
}

/**
 * A client of the fleet's Redis: a plain client of `REDIS_URL`, or, when `REDIS_CLUSTER_NODES` is set, an ioredis
 * `Cluster` seeded by those nodes (REDIS_URL's username, password and `rediss:` TLS then apply to every node).
 *
 * The cluster client is typed as `Redis`: the replicator sends only commands both clients serve alike, each on the
 * keys of one slot (a single key, or keys sharing a `{hash tag}`: the rate-limit bucket's), so no caller needs to
 * know which it has.
 */
export function createRedisClient(target: RedisTarget, options: RedisClientOptions): Redis {
  const common = {
    connectionName: options.connectionName,
    maxRetriesPerRequest: options.maxRetriesPerRequest === undefined ? 20 : options.maxRetriesPerRequest,
  };
  const lazyConnect = options.lazyConnect ?? false;
  if (target.redisClusterNodes === null) return new Redis(target.redisUrl.reveal(), { ...common, lazyConnect });
  return createRedisCluster(target, options, common) as unknown as Redis;
}

/** The cluster client itself, for BullMQ, which accepts a `Cluster` as its connection. */
export function createRedisCluster(
  target: RedisTarget,
  options: RedisClientOptions,
  common = { connectionName: options.connectionName, maxRetriesPerRequest: options.maxRetriesPerRequest ?? null },
): Cluster {
  const nodes = target.redisClusterNodes ?? [];
  const url = new URL(target.redisUrl.reveal());
  return new Cluster(
    nodes.map((node) => ({ host: node.host, port: node.port })),
    {
      lazyConnect: options.lazyConnect ?? false,
      redisOptions: {
        ...common,
        username: url.username === '' ? undefined : decodeURIComponent(url.username),
        password: url.password === '' ? undefined : decodeURIComponent(url.password),
        tls: url.protocol === 'rediss:' ? {} : undefined,
      },
    },
  );
}
