import type { Redis } from 'ioredis';
import type { Secret } from '../config/secret.js';
import { describeInfrastructureError, urlTarget } from '../errors/describe-infrastructure-error.js';
import { ReplicatorError } from '../errors/replicator-error.js';
import { withDeadline } from '../util/with-deadline.js';

/** How long connecting to Redis may take before the command gives up, ms. */
export const REDIS_CONNECT_TIMEOUT_MS = 5000;

/**
 * Connects a `lazyConnect` client, failing within `timeoutMs` with an error that says whether Redis was unreachable
 * or refused the password (see `describeInfrastructureError`). ioredis rejects `connect()` with a bare
 * "Connection is closed.": the reason is the last `error` event it emitted meanwhile, kept here.
 */
export async function connectRedis(redis: Redis, url: Secret, timeoutMs = REDIS_CONNECT_TIMEOUT_MS): Promise<void> {
  let last: unknown = null;
  const remember = (error: unknown) => (last = error);
  redis.on('error', remember);
  try {
    await withDeadline(redis.connect(), timeoutMs, () => {
      throw Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' });
    });
  } catch (error) {
    redis.disconnect();
    const described = describeInfrastructureError(last ?? error, { service: 'redis', url });
    if (described instanceof ReplicatorError) throw described;
    const where = urlTarget(url, 6379)?.where ?? 'the server it names';
    throw new ReplicatorError(
      'redis_unreachable',
      `Redis (REDIS_URL, ${where}) could not be connected to: ${(described as Error).message}.`,
      {
        retry: 'transient',
        cause: described,
      },
    );
  } finally {
    redis.off('error', remember);
  }
}
