import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient, type PostgresQueryResult } from 'kysely';
import pg from 'pg';
import type { Secret } from '../config/secret.js';
import { urlTarget } from '../errors/describe-infrastructure-error.js';
import { asPostgresFailure, noteConnectionError } from './postgres-failure.js';
import type { ReplicatorDatabase } from './replicator-tables.js';

export interface DatabaseOptions {
  url: Secret;
  /** Pool size. Default 4: a page write uses one connection, status reads another. */
  maxConnections?: number;
  applicationName?: string;
  /**
   * Told about errors of idle pooled connections (the server restarted, the network dropped). The pool replaces
   * the connection on next use.
   */
  onIdleError?: (error: Error) => void;
}

/**
 * A Kysely database over a pg pool. Sessions run in UTC so a timestamp without an offset in a payload
 * means UTC, whatever the server's default. Connecting happens on first query, not here.
 *
 * A connection that fails (terminated by an admin, a failover or a pooler, or the network dropped), idle or
 * checked out, never crashes the process: pg reports it as an `error` event of its client, which the pool only
 * listens to while the client is idle, so every client gets a listener of its own for its whole life. The query
 * in flight, or the next one, then fails, and fails as a transient `postgres_connection_lost` ReplicatorError
 * (see `asPostgresFailure`); its transaction is gone with the session, and the client is discarded.
 */
export function createDatabase(options: DatabaseOptions): Kysely<ReplicatorDatabase> {
  const pool = new pg.Pool({
    connectionString: options.url.reveal(),
    max: options.maxConnections ?? 4,
    application_name: options.applicationName ?? 'nango-replicator',
    options: '-c TimeZone=UTC',
  });
  pool.on('error', (error) => options.onIdleError?.(error));
  return new Kysely<ReplicatorDatabase>({ dialect: new PostgresDialect({ pool: guardedPool(pool, describeServer(options.url)) }) });
}

/** The pool as Kysely sees it: connection failures recognised and turned into `postgres_connection_lost`. */
function guardedPool(pool: pg.Pool, server: string): PostgresPool {
  // The first error each client emitted: its connection is lost, and every later query on it fails for that reason.
  const lost = new WeakMap<pg.PoolClient, unknown>();
  pool.on('connect', (client) => {
    client.on('error', (error) => {
      noteConnectionError(error);
      if (!lost.has(client)) lost.set(client, error);
    });
  });
  return {
    async connect() {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw asPostgresFailure(error, server);
      }
      return guardedClient(client, () => lost.get(client), server);
    },
    end: () => pool.end(),
  };
}

function guardedClient(client: pg.PoolClient, lostBecause: () => unknown, server: string): PostgresPoolClient {
  const query = async <R>(text: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> => {
    try {
      return (await client.query(text, [...parameters])) as unknown as PostgresQueryResult<R>;
    } catch (error) {
      // On a lost connection pg fails later queries with a generic "not queryable" error: report why it was lost.
      const reason = lostBecause();
      throw asPostgresFailure(reason === undefined ? error : reason, server);
    }
  };
  return {
    query: query as PostgresPoolClient['query'],
    // A lost client is never handed out again (pg-pool also drops clients that are not queryable).
    release: (destroy) => client.release(destroy === true || lostBecause() !== undefined),
  };
}

/** `host:port` of a connection URL, for messages: never the user, password or options. */
export function describeServer(url: Secret): string {
  return urlTarget(url, 5432)?.where ?? 'the server it names';
}
