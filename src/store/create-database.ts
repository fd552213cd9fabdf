import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Secret } from '../config/secret.js';
import type { ReplicatorDatabase } from './replicator-tables.js';

export interface DatabaseOptions {
  url: Secret;
  /** Pool size. Default 4: a page write uses one connection, status reads another. */
  maxConnections?: number;
  applicationName?: string;
  /**
   * Told about errors of idle pooled connections (the server restarted, the network dropped). Without a
   * listener pg would crash the process; the pool replaces the connection on next use.
   */
  onIdleError?: (error: Error) => void;
}

/**
 * A Kysely database over a pg pool. Sessions run in UTC so a timestamp without an offset in a payload
 * means UTC, whatever the server's default. Connecting happens on first query, not here.
 */
export function createDatabase(options: DatabaseOptions): Kysely<ReplicatorDatabase> {
  const pool = new pg.Pool({
    connectionString: options.url.reveal(),
    max: options.maxConnections ?? 4,
    application_name: options.applicationName ?? 'nango-replicator',
    options: '-c TimeZone=UTC',
  });
  pool.on('error', (error) => options.onIdleError?.(error));
  return new Kysely<ReplicatorDatabase>({ dialect: new PostgresDialect({ pool }) });
}
