import type { ReplicatorConfig } from '../config/replicator-config.js';

/**
 * The fleet's API budget, requests a minute: `requestsPerMinute x share`. The one place the schedule reads it, so
 * the account's real limit (`X-RateLimit-Limit`, docs/nango-api.md 10.6) can bound it here.
 */
export function fleetBudgetPerMinute(config: Pick<ReplicatorConfig, 'nango'>): number {
  const { requestsPerMinute, share } = config.nango.rateLimit;
  return requestsPerMinute * share;
}
