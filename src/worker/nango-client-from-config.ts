import type { Logger } from 'pino';
import type { ReplicatorConfig } from '../config/replicator-config.js';
import type { Secret } from '../config/secret.js';
import { createNangoClient, type NangoClient } from '../nango/nango-client.js';
import type { RequestGate } from '../ratelimit/request-gate.js';

export interface NangoClientFromConfigDeps {
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  /** The gate every request of this client passes (a bucket, or several composed). */
  gate: RequestGate;
  /** Should carry `component: 'nango'` (and the bucket, for a second client). */
  logger: Logger;
}

/**
 * The one way a process builds a Nango client from `nango.*` of the configuration: host, key, request timeout and
 * the retry policy. `failFastWhenUnreachable`: see `NangoHttpOptions` (true for a one-shot command).
 */
export function nangoClientFromConfig(
  deps: NangoClientFromConfigDeps,
  config: ReplicatorConfig,
  secretKey: Secret,
  options: { failFastWhenUnreachable?: boolean } = {},
): NangoClient {
  return createNangoClient(
    { fetch: deps.fetch ?? fetch, gate: deps.gate, logger: deps.logger },
    {
      host: config.nango.host,
      secretKey,
      requestTimeoutMs: config.nango.requestTimeoutMs,
      retries: config.nango.retries,
      retryMinDelayMs: config.nango.retryMinDelayMs,
      retryMaxDelayMs: config.nango.retryMaxDelayMs,
      pruneAfterCommit: config.nango.pruneAfterCommit,
      failFastWhenUnreachable: options.failFastWhenUnreachable,
    },
  );
}
