import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { requireSecretKey } from '../config/load-config.js';
import type { ReplicatorConfig } from '../config/replicator-config.js';
import type { NangoClient } from '../nango/nango-client.js';
import { openGate, type RequestGate } from '../ratelimit/request-gate.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import { nangoClientFromConfig } from '../worker/nango-client-from-config.js';
import { openDatabase } from '../worker/open-database.js';

/** The collaborators a command works with, and one idempotent close for all of them. */
export interface App {
  config: ReplicatorConfig;
  logger: Logger;
  db: Kysely<ReplicatorDatabase>;
  nango: NangoClient;
  close(): Promise<void>;
}

export interface OpenAppDeps {
  config: ReplicatorConfig;
  logger: Logger;
  fetch?: typeof fetch;
  gate?: RequestGate;
  /** See `NangoHttpOptions.failFastWhenUnreachable`: true for a one-shot command. Default false. */
  failFastWhenUnreachable?: boolean;
}

/**
 * Connects what a Nango-reading command needs and brings the replicator's tables up to date. The Nango key
 * is required here, not at config load, so `migrate` works without one.
 */
export async function openApp(deps: OpenAppDeps): Promise<App> {
  const { config, logger } = deps;
  const secretKey = requireSecretKey(config);
  const { db, close } = await openDatabase({ logger }, config);
  const nango = nangoClientFromConfig(
    { fetch: deps.fetch, gate: deps.gate ?? openGate, logger: logger.child({ component: 'nango' }) },
    config,
    secretKey,
    { failFastWhenUnreachable: deps.failFastWhenUnreachable },
  );
  return { config, logger, db, nango, close };
}
