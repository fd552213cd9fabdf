import { ReplicatorError } from '../errors/replicator-error.js';

/**
 * What kind of transient Postgres failure an error is, by its code alone (SQLSTATE, or Node's system error code):
 * - `connection`: the session is gone (terminated by an admin, a failover, a pooler or an idle timeout; the server
 *   shutting down or starting up; the network dropped). Nothing of an open transaction committed; the same work
 *   on a new connection can succeed.
 * - `serialization`: Postgres aborted the transaction to break a conflict (40001 serialization_failure, 40P01
 *   deadlock_detected); running it again can succeed.
 * - null: anything else (a constraint, a bad value, a missing table...), which retrying does not fix.
 */
export type PostgresFailure = 'connection' | 'serialization';

/** Class 57 codes that end the session: admin_shutdown, crash_shutdown, cannot_connect_now. */
const SESSION_ENDED = new Set(['57P01', '57P02', '57P03']);
/** Node's codes for a socket that failed or could not be opened. */
const SOCKET_FAILED = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTCONN', 'EAI_AGAIN']);
const SERIALIZATION = new Set(['40001', '40P01']);

/**
 * Errors a pg client emitted as its own `error` event: pg does so only when the connection itself failed (the
 * socket closed, the server sent an error outside any query). Some of them carry no code ("Connection terminated
 * unexpectedly" when the server closed the socket without a word), so they are known by identity, not by text.
 */
const emittedByClient = new WeakSet<object>();

/** Notes that a pg client emitted `error` as its `error` event: its connection is lost. */
export function noteConnectionError(error: unknown): void {
  if (typeof error === 'object' && error !== null) emittedByClient.add(error);
}

/** The kind of transient Postgres failure `error` is (see {@link PostgresFailure}), or null. */
export function postgresFailure(error: unknown): PostgresFailure | null {
  if (error instanceof ReplicatorError) {
    if (error.code === POSTGRES_CONNECTION_LOST) return 'connection';
    if (error.code === POSTGRES_SERIALIZATION_FAILURE) return 'serialization';
    return null;
  }
  if (typeof error !== 'object' || error === null) return null;
  if (emittedByClient.has(error)) return 'connection';
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return null;
  if (code.startsWith('08') || SESSION_ENDED.has(code) || SOCKET_FAILED.has(code)) return 'connection';
  if (SERIALIZATION.has(code)) return 'serialization';
  return null;
}

export const POSTGRES_CONNECTION_LOST = 'postgres_connection_lost';
export const POSTGRES_SERIALIZATION_FAILURE = 'postgres_serialization_failure';

/**
 * `error` as a transient ReplicatorError if it is a connection or serialization failure (`cause` keeps the
 * original, `details.sqlstate` its code), else `error` itself. `target` names the server, e.g. `db.example:5432`,
 * never the password.
 */
export function asPostgresFailure(error: unknown, target: string): unknown {
  const failure = postgresFailure(error);
  if (failure === null || error instanceof ReplicatorError) return error;
  const code = (error as { code?: unknown }).code;
  const reason = error instanceof Error ? error.message : String(error);
  const details = typeof code === 'string' ? { sqlstate: code } : {};
  if (failure === 'serialization') {
    return new ReplicatorError(POSTGRES_SERIALIZATION_FAILURE, `Postgres aborted a transaction to resolve a conflict: ${reason}`, {
      retry: 'transient',
      cause: error,
      details,
    });
  }
  return new ReplicatorError(POSTGRES_CONNECTION_LOST, `Postgres connection lost (DATABASE_URL ${target}): ${reason}`, {
    retry: 'transient',
    cause: error,
    details,
  });
}
