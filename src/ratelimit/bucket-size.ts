import { ReplicatorError } from '../errors/replicator-error.js';

/** Length of Nango's fixed rate-limit window (docs/nango-api.md 2), ms. */
export const NANGO_WINDOW_MS = 60_000;

/** How one shared token bucket is sized for a slice of the account's per-minute budget. */
export interface BucketSize {
  /** Requests this bucket may spend in any window (NANGO_WINDOW_MS by default): floor(requestsPerMinute x share). */
  readonly budget: number;
  /** Bucket capacity in tokens: how many requests may go out at once. */
  readonly burst: number;
  /** Refill rate in tokens per ms. */
  readonly ratePerMs: number;
}

/**
 * Sizes the bucket so that burst + ratePerMs x 60 000 ms == budget: in any interval of w ms the bucket grants at
 * most burst + ratePerMs x w requests, so never more than the budget in any 60 s window, whether that window
 * slides or starts at the account's first request as Nango's does.
 * burst = max(1, floor(5% of budget)); ratePerMs = (budget - burst) / 60 000.
 * `requestsPerMinute` is per window of `windowMs` (Nango's is 60 s; a stand-in's may be shorter).
 * bucket-lib.lua (`effectiveSize`) sizes the Redis bucket the same way, for the smaller of the configured limit and
 * the account's real one: see {@link effectiveLimit}.
 */
export function bucketSize(requestsPerMinute: number, share: number, windowMs = NANGO_WINDOW_MS): BucketSize {
  if (!Number.isFinite(requestsPerMinute) || requestsPerMinute <= 0) {
    throw invalid('requestsPerMinute must be a positive number', { requestsPerMinute });
  }
  if (!Number.isFinite(share) || share <= 0 || share > 1) {
    throw invalid('share must be in (0, 1]', { share });
  }
  const budget = Math.floor(requestsPerMinute * share);
  if (budget < 2) {
    // With one request per window there is nothing left to refill at a positive rate.
    throw invalid('requestsPerMinute x share must allow at least 2 requests per minute', { budget });
  }
  const burst = Math.max(1, Math.floor(budget * 0.05));
  return Object.freeze({ budget, burst, ratePerMs: (budget - burst) / windowMs });
}

/**
 * The limit the fleet's buckets are sized from: the configured one, or the account's real limit (X-RateLimit-Limit,
 * docs/nango-api.md 2) when Nango reports a smaller one (a configured limit above the account's must not be
 * trusted).
 */
export function effectiveLimit(configured: number, accountLimit: number | null): number {
  return accountLimit !== null && accountLimit > 0 && accountLimit < configured ? accountLimit : configured;
}

function invalid(message: string, details: Record<string, unknown>): ReplicatorError {
  return new ReplicatorError('ratelimit_invalid_options', `Rate limit: ${message}.`, { retry: 'terminal', details });
}
