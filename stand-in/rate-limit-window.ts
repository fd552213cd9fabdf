/** The outcome of consuming one point (rate-limiter-flexible's `RateLimiterRes`). */
export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  /** Points left in the window, never below 0. */
  remaining: number;
  /** Until the window resets, milliseconds. */
  msBeforeNext: number;
}

/** One window of a key, as the limiter counted it. */
export interface WindowCount {
  readonly key: string;
  /** Clock ms of the first request of the window. */
  readonly startMs: number;
  /** Clock ms at which it resets (startMs + durationMs). */
  readonly resetAtMs: number;
  /** Points consumed, rejected requests included. */
  readonly consumed: number;
  /** Requests allowed (at most the limit). */
  readonly allowed: number;
}

/** Per-key fixed windows. */
export interface RateLimitWindow {
  consume(key: string): RateLimitDecision;
  /** Every window so far, oldest first (the current one last): the stand-in's own count of what the limit let in. */
  windows(): ReadonlyArray<WindowCount>;
}

/**
 * Nango's API limiter (docs/nango-api.md 2): `RateLimiterMemory({ points, duration: 60, blockDuration: 0 })`.
 * A fixed window starts at the first request of the window and is not extended; rejected
 * requests still consume a point.
 */
export function createRateLimitWindow(options: { points: number; durationMs: number; now: () => number }): RateLimitWindow {
  const windows = new Map<string, { key: string; startMs: number; consumed: number; allowed: number; resetAtMs: number }>();
  const history: WindowCount[] = [];
  return {
    consume(key) {
      const nowMs = options.now();
      let window = windows.get(key);
      if (!window || nowMs >= window.resetAtMs) {
        window = { key, startMs: nowMs, consumed: 0, allowed: 0, resetAtMs: nowMs + options.durationMs };
        windows.set(key, window);
        history.push(window);
      }
      window.consumed += 1;
      if (window.consumed <= options.points) window.allowed += 1;
      return {
        allowed: window.consumed <= options.points,
        limit: options.points,
        remaining: Math.max(options.points - window.consumed, 0),
        msBeforeNext: window.resetAtMs - nowMs,
      };
    },
    windows: () => history.map((w) => ({ ...w })),
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
