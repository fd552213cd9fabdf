/**
 * The commands a Redis ACL user of the replicator needs (Redis 6+ ACL syntax), found by reading BullMQ 6's Lua
 * scripts and clients and the replicator's own calls and scripts, then run by test/integration/redis-acl.test.ts (a
 * worker fleet, `sync` and `backfill --wait` under exactly this list, ACL LOG empty). Redis checks the commands and
 * the keys a Lua script touches against the caller's ACL too, so the scripts' commands are listed.
 */
export const REDIS_ACL_COMMANDS: ReadonlyArray<string> = [
  // Connection: authentication, the name ioredis and BullMQ give each connection, readiness, BullMQ's version check.
  'auth',
  'hello',
  'ping',
  'quit',
  'select',
  'info',
  'client|setname',
  // Scripts (EVALSHA, with EVAL after NOSCRIPT; ioredis loads a pipeline's scripts first) and transactions.
  'eval',
  'evalsha',
  'script|load',
  'script|exists',
  'multi',
  'exec',
  // Strings and keys: locks, pull marks, the discovery lease, the rate-limit bucket; BullMQ's scripts.
  'get',
  'set',
  'getdel',
  'del',
  'unlink',
  'exists',
  'type',
  'rename',
  'incr',
  'incrby',
  'pexpire',
  'pexpireat',
  'persist',
  'pttl',
  'time',
  // Hashes (jobs, schedulers, queue meta).
  'hget',
  'hgetall',
  'hmget',
  'hset',
  'hmset',
  'hdel',
  'hexists',
  'hincrby',
  'hlen',
  'hscan',
  // Lists (wait, active, paused).
  'lpush',
  'rpush',
  'lpop',
  'rpop',
  'rpoplpush',
  'lrange',
  'lrem',
  'llen',
  'lindex',
  'lset',
  'ltrim',
  'lpos',
  // Sets (dependencies of parent jobs).
  'sadd',
  'srem',
  'smembers',
  'sismember',
  'scard',
  'sscan',
  // Sorted sets (delayed, prioritized, completed, failed, the marker the workers block on).
  'zadd',
  'zrem',
  'zcard',
  'zcount',
  'zscore',
  'zrange',
  'zrevrange',
  'zrangebyscore',
  'zrevrangebyscore',
  'zrangebylex',
  'zlexcount',
  'zremrangebyrank',
  'zremrangebyscore',
  'zpopmin',
  'bzpopmin',
  // Streams (the queue's event log, trimmed).
  'xadd',
  'xtrim',
  'xdel',
  'xlen',
  'xrange',
  'xread',
];

/**
 * The rule of `ACL SETUSER <name> on ><password> <rule>`: the keys under BullMQ's prefix (`queue.prefix`, `bull`
 * when absent) and the replicator's own (`redis.keyPrefix`), no Pub/Sub channel, and only the commands above.
 */
export function redisAclRule(prefixes: { queuePrefix: string | undefined; redisKeyPrefix: string }): string {
  const queue = prefixes.queuePrefix ?? 'bull';
  return [
    'resetkeys',
    `~${queue}:*`,
    `~${prefixes.redisKeyPrefix}*`,
    'resetchannels',
    '-@all',
    ...REDIS_ACL_COMMANDS.map((c) => `+${c}`),
  ].join(' ');
}
