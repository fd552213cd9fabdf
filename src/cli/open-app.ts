import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { requireSecretKey } from '../config/load-config.js';
import type { ReplicatorConfig } from '../config/replicator-config.js';
import { withInfrastructureErrors } from '../errors/describe-infrastructure-error.js';
import { createNangoClient, type NangoClient } from '../nango/nango-client.js';
import { openGate, type RequestGate } from '../ratelimit/request-gate.js';
import { createDatabase } from '../store/create-database.js';
import { migrateToLatest } from '../store/migrate-to-latest.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';

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
  /** Postgres pool size. Default 4; a worker sizes it to its concurrency. */
  maxConnections?: number;
}

/**
 * Connects what a Nango-reading command needs and brings the replicator's tables up to date. The Nango key
 * is required here, not at config load, so `migrate` works without one.
 */
export async function openApp(deps: OpenAppDeps): Promise<App> {
  const { config, logger } = deps;
  const secretKey = requireSecretKey(config);
  const db = createDatabase({
    url: config.databaseUrl,
    onIdleError: (error) => logger.warn({ err: { message: error.message } }, 'an idle database connection failed; it will be replaced'),
  });
  let closed: Promise<void> | undefined;
  const close = () => (closed ??= db.destroy());
  try {
    await withInfrastructureErrors({ service: 'postgres', url: config.databaseUrl }, () => migrateToLatest(db));
  } catch (error) {
    await close();
    throw error;
  }
  const nango = createNangoClient(
    { fetch: deps.fetch ?? fetch, gate: deps.gate ?? openGate, logger: logger.child({ component: 'nango' }) },
    {
      host: config.nango.host,
      secretKey,
      requestTimeoutMs: config.nango.requestTimeoutMs,
      retries: config.nango.retries,
      retryMinDelayMs: config.nango.retryMinDelayMs,
      retryMaxDelayMs: config.nango.retryMaxDelayMs,
      pruneAfterCommit: config.nango.pruneAfterCommit,
      failFastWhenUnreachable: deps.failFastWhenUnreachable,
    },
  );
  return { config, logger, db, nango, close };
}
