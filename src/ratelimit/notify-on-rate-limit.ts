import { NANGO_WINDOW_MS } from './bucket-size.js';
import type { RateLimitObservation, RequestGate } from './request-gate.js';

/**
 * Wraps a gate so that every 429 also calls `onRateLimited(waitMs)`, e.g. to pause the job queue (BullMQ's
 * rate limit) while the shared bucket blocks requests. `waitMs` follows the response: Retry-After (plus the second
 * Nango's flooring may hide), else until X-RateLimit-Reset, else one window; capped at one window.
 * A failing callback never fails the request: the gate is the safety, the pause only saves work.
 */
export function notifyOnRateLimit(
  gate: RequestGate,
  onRateLimited: (waitMs: number) => Promise<void> | void,
  logger?: { warn(obj: object, msg: string): void },
): RequestGate {
  return {
    acquire: (signal) => gate.acquire(signal),
    async observe(observation) {
      await gate.observe(observation);
      if (observation.status !== 429) return;
      try {
        await onRateLimited(waitAfter(observation));
      } catch (error) {
        // Advisory only, see above; the gate already recorded the block.
        logger?.warn({ err: error }, 'Rate limit: could not pause the job queue after a 429');
      }
    },
  };
}

function waitAfter(observation: RateLimitObservation): number {
  const { retryAfterSeconds, resetEpochSeconds } = observation;
  let waitMs = NANGO_WINDOW_MS;
  if (retryAfterSeconds !== undefined && retryAfterSeconds >= 0) waitMs = (retryAfterSeconds + 1) * 1000;
  else if (resetEpochSeconds !== undefined) waitMs = (resetEpochSeconds + 1) * 1000 - Date.now();
  return Math.min(NANGO_WINDOW_MS, Math.max(1000, Math.round(waitMs)));
}
