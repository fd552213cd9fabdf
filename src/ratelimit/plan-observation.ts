import { NANGO_WINDOW_MS } from './bucket-size.js';
import type { RateLimitObservation } from './request-gate.js';

/**
 * The longest any single observation may block the fleet, ms: one Nango window plus the second that Nango's
 * flooring of Retry-After and X-RateLimit-Reset may hide. Bounds the damage of a bogus header.
 */
export const MAX_BLOCK_MS = NANGO_WINDOW_MS + 1000;

/** What the shared bucket should do about one response. */
export type ObservationPlan =
  | { readonly kind: 'none' }
  /** Block every process for `ms` from now (server time). */
  | { readonly kind: 'block-for'; readonly ms: number }
  /** Block every process until `epochMs` (server epoch ms). */
  | { readonly kind: 'block-until'; readonly epochMs: number }
  /** Block until the window resets if `remaining` is less than the bucket could still grant before `resetMs`. */
  | {
      readonly kind: 'reconcile';
      readonly remaining: number;
      readonly resetMs: number;
      readonly blockUntilMs: number;
      /** X-RateLimit-Limit, the account's real limit; undefined when absent. */
      readonly limit: number | undefined;
    };

/**
 * Maps a response's rate-limit headers to an action. Nango floors both Retry-After and X-RateLimit-Reset to whole
 * seconds (Retry-After can be 0 with up to 999 ms left), so a block adds one second to stay past the true reset.
 * - 429 with Retry-After N: block for (N + 1) s.
 * - 429 without Retry-After: block until X-RateLimit-Reset + 1 s; with neither header, for one window.
 * - any other status with Remaining and Reset: reconcile (and record the account's limit, when reported).
 */
export function planObservation(observation: RateLimitObservation): ObservationPlan {
  const retryAfterSeconds = nonNegative(observation.retryAfterSeconds);
  const resetEpochSeconds = nonNegative(observation.resetEpochSeconds);
  if (observation.status === 429) {
    if (retryAfterSeconds !== undefined) return { kind: 'block-for', ms: (retryAfterSeconds + 1) * 1000 };
    if (resetEpochSeconds !== undefined) return { kind: 'block-until', epochMs: (resetEpochSeconds + 1) * 1000 };
    return { kind: 'block-for', ms: NANGO_WINDOW_MS };
  }
  const remaining = nonNegative(observation.remaining);
  if (remaining !== undefined && resetEpochSeconds !== undefined) {
    const resetMs = resetEpochSeconds * 1000;
    return { kind: 'reconcile', remaining, resetMs, blockUntilMs: resetMs + 1000, limit: positive(observation.limit) };
  }
  return { kind: 'none' };
}

function nonNegative(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function positive(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : undefined;
}
