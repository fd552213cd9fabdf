/**
 * The owner part of a lock's token (`<owner> <uuid>`, see `RedisLocks.tryAcquire`), e.g. `host:4242 job 17`: what an
 * operator needs to find the holder. A token not of that shape is returned whole.
 */
export function lockOwner(token: string): string {
  return token.replace(/ [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, '');
}
