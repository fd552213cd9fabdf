/** What the Nango client calls around every HTTP request. */
export interface RequestGate {
  /** Resolves when one request may be sent. Rejects with the signal's reason if `signal` aborts while waiting. */
  acquire(signal?: AbortSignal): Promise<void>;
  /** Report what a response said about the account budget (every response, any status). */
  observe(observation: RateLimitObservation): Promise<void>;
}

export interface RateLimitObservation {
  status: number;
  limit?: number; // X-RateLimit-Limit
  remaining?: number; // X-RateLimit-Remaining
  resetEpochSeconds?: number; // X-RateLimit-Reset
  retryAfterSeconds?: number; // Retry-After (429 only; may be 0)
  /** From sending the request to the end of its body, ms (for the request latency histogram). */
  durationMs?: number;
}

/** A gate that never waits: for tests and for one-shot commands without Redis. */
export const openGate: RequestGate = Object.freeze({
  acquire(signal?: AbortSignal): Promise<void> {
    // Never waits, but an already-aborted caller still learns it should stop.
    return signal?.aborted ? Promise.reject(signal.reason) : Promise.resolve();
  },
  observe(): Promise<void> {
    return Promise.resolve();
  },
});
