import type { Redis } from 'ioredis';
import { bucketKeys } from './bucket-scripts.js';
import { effectiveLimit, NANGO_WINDOW_MS } from './bucket-size.js';

/** Where a fleet's bucket lives and how it is configured: the options its gates were created with. */
export interface FleetBudgetOptions {
  /** The account's bucket name (see `bucketKey`). */
  readonly key: string;
  /** Prefix of the rate-limit keys (see `rateLimitKeyPrefix`). */
  readonly keyPrefix: string;
  /** `nango.rateLimit.requestsPerMinute`. */
  readonly requestsPerMinute: number;
  /** `nango.rateLimit.share`. */
  readonly share: number;
  /** Nango's rate-limit window, ms. Default NANGO_WINDOW_MS (60 s). */
  readonly windowMs?: number;
}

/**
 * The fleet's API budget as the buckets apply it now. Rates are per window of `windowMs`, i.e. per minute against
 * Nango.
 */
export interface FleetBudget {
  /** The configured `requestsPerMinute`. */
  readonly configuredPerMinute: number;
  /** The account's real limit, as Nango last reported it (X-RateLimit-Limit); null before any response. */
  readonly accountLimitPerMinute: number | null;
  /** `nango.rateLimit.share`. */
  readonly share: number;
  /** What the fleet's bucket grants: floor(min(configured, account limit) x share). */
  readonly effectivePerMinute: number;
  /** `account` when the account's limit is below the configured one and sizes the bucket. */
  readonly limitedBy: 'configuration' | 'account';
  /** Nango's rate-limit window, ms. */
  readonly windowMs: number;
}

/**
 * Reads the account limit the fleet last recorded (one GET) and works out the budget the fleet's bucket applies,
 * the same sizing as the bucket's scripts (bucket-lib.lua). For `status`, the status page and budget-aware
 * scheduling.
 */
export async function readFleetBudget(redis: Redis, options: FleetBudgetOptions): Promise<FleetBudget> {
  const stored = Number(await redis.get(bucketKeys(options.keyPrefix, options.key).accountLimit));
  const accountLimit = Number.isFinite(stored) && stored > 0 ? stored : null;
  const limit = effectiveLimit(options.requestsPerMinute, accountLimit);
  const windowMs = options.windowMs ?? NANGO_WINDOW_MS;
  return Object.freeze({
    configuredPerMinute: options.requestsPerMinute,
    accountLimitPerMinute: accountLimit,
    share: options.share,
    // As bucket-lib.lua's effectiveSize: never below 2, so the bucket still refills.
    effectivePerMinute: Math.max(2, Math.floor(limit * options.share)),
    limitedBy: limit < options.requestsPerMinute ? 'account' : 'configuration',
    windowMs,
  });
}
