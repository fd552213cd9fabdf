import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { ReplicatorError } from '../errors/replicator-error.js';
import { bucketKeys, bucketScripts, type TakeResult } from './bucket-scripts.js';
import { bucketSize, NANGO_WINDOW_MS } from './bucket-size.js';
import { planObservation } from './plan-observation.js';
import type { RateLimitObservation, RequestGate } from './request-gate.js';

export interface GateLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface RedisRequestGateDeps {
  redis: Redis;
  logger?: GateLogger;
  /** Called once per granted request with the Redis server time of the grant (epoch ms). For metrics and tests. */
  onGrant?: (serverTimeMs: number) => void;
}

export interface RedisRequestGateOptions {
  /** Bucket name shared by every process spending the same Nango account (see `bucketKey`). No `{` or `}`. */
  key: string;
  /**
   * The account's plan limit as configured, requests per window. The bucket is sized from the smaller of this and
   * the limit Nango reports (X-RateLimit-Limit), recorded in Redis by every response, so a configured limit above
   * the account's never oversizes it.
   */
  requestsPerMinute: number;
  /**
   * Fraction of the account budget this bucket may spend, in (0, 1]. Leave room for other clients of the account
   * and for network jitter (requests granted 60 s apart can land in one Nango window): e.g. 0.9.
   */
  share: number;
  /** Prefix of the Redis keys. No `{`. Default `nango-replicator:ratelimit:` (see {@link rateLimitKeyPrefix}). */
  keyPrefix?: string;
  /** A sub-bucket of the account's bucket (e.g. `backfill`, a class's own cap), sharing its recorded limit. */
  part?: string;
  /** Nango's rate-limit window, ms (docs/nango-api.md 2). Default NANGO_WINDOW_MS; shorter only against a stand-in. */
  windowMs?: number;
  /** Upper bound of the random delay added to every wait so the fleet does not wake at once, ms. Default 5. */
  jitterMs?: number;
}

export interface GateStats {
  /** Requests granted by this process. */
  granted: number;
  /** Total time callers of this process spent waiting in acquire(), ms (granted calls only). */
  waitedMs: number;
  /** 429 responses observed by this process. */
  tooManyRequests: number;
  /** Latest account block this process learned of, Redis server epoch ms; 0 when none. */
  blockedUntilMs: number;
}

export type RedisRequestGate = RequestGate & { stats(): GateStats };

interface Waiter {
  readonly startedAt: number;
  readonly resolve: () => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

const DEFAULT_KEY_PREFIX = rateLimitKeyPrefix('nango-replicator:');
const MAX_BATCH = 50;
const REDIS_RETRY_MIN_MS = 100;
const REDIS_RETRY_MAX_MS = 2000;

/**
 * The prefix of the rate-limit bucket keys under the fleet's Redis key prefix (`redis.keyPrefix`, e.g.
 * `nango-replicator:`): `<redisKeyPrefix>ratelimit:`. Every gate drawing on the fleet's buckets (workers, one-shot
 * commands, the backfill cap) must use it, or they would count against different buckets.
 */
export function rateLimitKeyPrefix(redisKeyPrefix: string): string {
  return `${redisKeyPrefix}ratelimit:`;
}

/**
 * A RequestGate backed by one token bucket in Redis, shared by every process with the same `key`.
 * Callers of one process queue in FIFO order behind a single loop that asks Redis for as many tokens as there are
 * waiters, so a process makes one Redis call per wake-up however many callers wait. While Redis does not answer,
 * nothing is granted: failing open would spend the account budget blind.
 */
export function createRedisRequestGate(deps: RedisRequestGateDeps, options: RedisRequestGateOptions): RedisRequestGate {
  const { logger, onGrant } = deps;
  const keys = bucketKeys(validPrefix(options.keyPrefix ?? DEFAULT_KEY_PREFIX), validKey(options.key), validPart(options.part));
  const windowMs = options.windowMs ?? NANGO_WINDOW_MS;
  bucketSize(options.requestsPerMinute, options.share, windowMs); // validates; the scripts size the bucket
  const spec = { configured: options.requestsPerMinute, share: options.share, windowMs };
  const scripts = bucketScripts(deps, { keys, spec });
  const jitterMs = Math.max(0, options.jitterMs ?? 5);
  const stats: GateStats = { granted: 0, waitedMs: 0, tooManyRequests: 0, blockedUntilMs: 0 };
  const queue: Waiter[] = [];
  let pumping = false;
  let wakePump: (() => void) | undefined;
  let redisFailures = 0;
  let lastShortResetMs = 0;

  function acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        startedAt: performance.now(),
        resolve,
        signal,
        onAbort: () => {
          removeWaiter(waiter);
          reject(signal?.reason);
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      queue.push(waiter);
      // Start on a microtask so callers arriving in the same tick share one Redis call.
      if (!pumping) queueMicrotask(() => void pump());
    });
  }

  function removeWaiter(waiter: Waiter): void {
    const index = queue.indexOf(waiter);
    if (index >= 0) queue.splice(index, 1);
    // Nobody left to serve: end the pump's wait now rather than keep a timer (and the process) alive.
    if (queue.length === 0) wakePump?.();
  }

  async function pump(): Promise<void> {
    if (pumping) return;
    pumping = true;
    try {
      while (queue.length > 0) {
        const waitMs = await serveWaiters();
        if (queue.length > 0 && waitMs > 0) await pause(waitMs + Math.random() * jitterMs);
      }
    } finally {
      pumping = false;
    }
  }

  /** One Redis call: hands out what was granted in FIFO order; returns how long to wait before the next call. */
  async function serveWaiters(): Promise<number> {
    const requested = Math.min(queue.length, MAX_BATCH);
    let result: TakeResult;
    try {
      result = await scripts.take(requested);
    } catch (error) {
      return redisFailed(error);
    }
    redisAnswered();
    if (result.blockedUntilMs > 0) noteBlock(result.blockedUntilMs);
    // A waiter that aborted during the call is gone from the queue; its token goes to the next one.
    for (let i = 0; i < result.granted; i++) {
      const waiter = queue.shift();
      if (waiter === undefined) break;
      grant(waiter, result.serverTimeMs);
    }
    return result.granted < requested ? result.waitMs : 0;
  }

  function grant(waiter: Waiter, serverTimeMs: number): void {
    waiter.signal?.removeEventListener('abort', waiter.onAbort);
    stats.granted += 1;
    stats.waitedMs += performance.now() - waiter.startedAt;
    waiter.resolve();
    try {
      onGrant?.(serverTimeMs);
    } catch (error) {
      // A broken metrics hook must not strand the callers still queued behind this one.
      logger?.warn({ err: error, key: options.key }, 'Rate limit: onGrant hook threw');
    }
  }

  /** Sleeps `ms`, or less if the last waiter leaves. */
  function pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wakePump = undefined;
        resolve();
      }
      wakePump = done;
    });
  }

  function redisFailed(error: unknown): number {
    redisFailures += 1;
    if (redisFailures === 1 || redisFailures % 30 === 0) {
      logger?.warn(
        { err: error, key: options.key, failures: redisFailures },
        'Rate limit: Redis unavailable; holding requests until it answers',
      );
    }
    return Math.min(REDIS_RETRY_MAX_MS, REDIS_RETRY_MIN_MS * 2 ** Math.min(redisFailures - 1, 10));
  }

  function redisAnswered(): void {
    if (redisFailures > 0) logger?.info({ key: options.key, failures: redisFailures }, 'Rate limit: Redis answers again');
    redisFailures = 0;
  }

  function noteBlock(blockedUntilMs: number): void {
    stats.blockedUntilMs = Math.max(stats.blockedUntilMs, blockedUntilMs);
  }

  async function observe(observation: RateLimitObservation): Promise<void> {
    if (observation.status === 429) stats.tooManyRequests += 1;
    const plan = planObservation(observation);
    try {
      if (plan.kind === 'block-for') noteBlock((await scripts.block('for', plan.ms)).blockedUntilMs);
      if (plan.kind === 'block-until') noteBlock((await scripts.block('until', plan.epochMs)).blockedUntilMs);
      if (plan.kind === 'reconcile') await reconcile(plan.remaining, plan.resetMs, plan.blockUntilMs, plan.limit);
    } catch (error) {
      // Advisory: acquire() is the safety and grants nothing while Redis is down; a lost 429 is re-reported by the
      // next 429. Failing the caller's request over bookkeeping would be worse.
      logger?.warn({ err: error, key: options.key, status: observation.status }, 'Rate limit: could not record a response in Redis');
    }
  }

  async function reconcile(remaining: number, resetMs: number, blockUntilMs: number, limit: number | undefined): Promise<void> {
    const result = await scripts.reconcile(remaining, resetMs, blockUntilMs, limit);
    noteBlock(result.blockedUntilMs);
    // Once per account window: while another client spends, every response of the window finds the account short.
    if (result.short && resetMs !== lastShortResetMs) {
      lastShortResetMs = resetMs;
      const how = result.blockedUntilMs > 0 ? 'waiting for the window to reset' : 'pacing what is left until the window resets';
      logger?.info(
        { key: options.key, remaining, blockedUntilMs: result.blockedUntilMs },
        `Rate limit: account has less left than expected (another client is spending); ${how}`,
      );
    }
    const { accountLimit, previousLimit } = result;
    if (accountLimit !== null && accountLimit !== previousLimit) logLimitChange(previousLimit, accountLimit);
  }

  /** Said once per fleet: only the process whose response changed the recorded limit logs it. */
  function logLimitChange(previous: number | null, reported: number): void {
    const configured = options.requestsPerMinute;
    const fields = { key: options.key, configured, observed: reported };
    const budget = (limit: number) => Math.max(2, Math.floor(limit * options.share));
    if (reported < configured) {
      logger?.warn(
        { ...fields, effective: budget(reported) },
        `Rate limit: Nango reports the account allows ${reported} requests a minute (X-RateLimit-Limit), fewer than the configured requestsPerMinute ${configured}; the fleet spends at most ${budget(reported)} a minute until a larger limit is reported`,
      );
    } else if (previous !== null && previous < configured) {
      logger?.info(
        { ...fields, effective: budget(configured) },
        `Rate limit: Nango now reports ${reported} requests a minute (X-RateLimit-Limit), at least the configured ${configured}; the fleet spends ${budget(configured)} a minute again`,
      );
    } else if (reported > configured && (previous === null || previous <= configured)) {
      logger?.warn(
        fields,
        `Rate limit: X-RateLimit-Limit ${reported} is above the configured requestsPerMinute ${configured}; raise it to use the account's budget`,
      );
    }
  }

  return { acquire, observe, stats: () => ({ ...stats }) };
}

function validKey(key: string): string {
  if (key.length === 0 || /[{}]/.test(key)) throw invalid('key must be non-empty and contain no { or }', { key });
  return key;
}

function validPart(part: string | undefined): string | undefined {
  if (part !== undefined && !/^[a-z0-9-]+$/.test(part)) throw invalid('part must be lower-case letters, digits and -', { part });
  return part;
}

function validPrefix(prefix: string): string {
  // A `{` in the prefix would become the hash tag and could split a bucket's keys across cluster slots.
  if (prefix.includes('{')) throw invalid('keyPrefix must not contain {', { keyPrefix: prefix });
  return prefix;
}

function invalid(message: string, details: Record<string, unknown>): ReplicatorError {
  return new ReplicatorError('ratelimit_invalid_options', `Rate limit: ${message}.`, { retry: 'terminal', details });
}
