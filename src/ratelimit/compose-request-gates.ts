import type { RequestGate } from './request-gate.js';

/**
 * A gate for a class of requests that may spend only part of a shared budget, e.g. backfills: a request first
 * takes a token from `cap` (that class's own bucket, sized to its share), then from `shared` (the fleet's bucket),
 * so the class never spends more than its share and all requests together never more than the budget.
 * The cap is taken first so that a request held back by its cap does not sit on a token of the shared bucket.
 *
 * Responses are reported to `shared` only: the rate-limit headers describe the whole account, which is what the
 * shared bucket reconciles with (and a 429 blocks every request through it, capped or not).
 */
export function composeRequestGates(gates: { cap: RequestGate; shared: RequestGate }): RequestGate {
  return {
    async acquire(signal) {
      await gates.cap.acquire(signal);
      await gates.shared.acquire(signal);
    },
    observe: (observation) => gates.shared.observe(observation),
  };
}
