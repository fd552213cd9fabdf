/** The outcome of consuming one point (rate-limiter-flexible's `RateLimiterRes`). */
export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  /** Points left in the window, never below 0. */
  remaining: number;
  /** Until the window resets, milliseconds. */
  msBeforeNext: number;
}

/** Per-key fixed windows. */
export interface RateLimitWindow {
  consume(key: string): RateLimitDecision;
}

/**
 * Nango's API limiter (docs/nango-api.md 2): `RateLimiterMemory({ points, duration: 60, blockDuration: 0 })`.
 * A fixed window starts at the first request of the window and is not extended; rejected
 * requests still consume a point.
 */
export function createRateLimitWindow(options: { points: number; durationMs: number; now: () => number }): RateLimitWindow {
  const windows = new Map<string, { consumed: number; resetAtMs: number }>();
  return {
    consume(key) {
      const nowMs = options.now();
      let window = windows.get(key);
      if (!window || nowMs >= window.resetAtMs) {
        window = { consumed: 0, resetAtMs: nowMs + options.durationMs };
        windows.set(key, window);
      }
      window.consumed += 1;
      return {
        allowed: window.consumed <= options.points,
        limit: options.points,
        remaining: Math.max(options.points - window.consumed, 0),
        msBeforeNext: window.resetAtMs - nowMs,
      };
    },
  };
}

/** `X-RateLimit-*` headers, plus `Retry-After` (whole seconds, can be 0) when rejected. */
export function rateLimitHeaders(decision: RateLimitDecision, nowMs: number): Record<string, number> {
  const headers: Record<string, number> = {
    'X-RateLimit-Limit': decision.limit,
    'X-RateLimit-Remaining': decision.remaining,
    'X-RateLimit-Reset': Math.floor((nowMs + decision.msBeforeNext) / 1000),
  };
  if (!decision.allowed) headers['Retry-After'] = Math.floor(decision.msBeforeNext / 1000);
  return headers;
}
