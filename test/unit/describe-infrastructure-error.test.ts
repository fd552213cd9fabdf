import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pg from 'pg';
import { Secret } from '../../src/config/secret.js';
import { describeInfrastructureError, describeNangoTransportError } from '../../src/errors/describe-infrastructure-error.js';
import { ReplicatorError } from '../../src/errors/replicator-error.js';

const DATABASE_URL = new Secret('postgres://app:db-secret-42@db.internal:6543/warehouse');
const systemError = (code: string, message: string) => Object.assign(new Error(message), { code });

/** A server's error response, as pg builds it from the wire. */
function serverError(sqlstate: string, message: string): pg.DatabaseError {
  const error = new pg.DatabaseError(message, message.length, 'error');
  error.code = sqlstate;
  return error;
}

function described(error: unknown): ReplicatorError {
  const result = describeInfrastructureError(error, { service: 'postgres', url: DATABASE_URL });
  assert.ok(result instanceof ReplicatorError, `not translated: ${String(result)}`);
  assert.equal(result.message.includes('db-secret-42'), false);
  return result;
}

describe('errors of the services, named by their setting', () => {
  test('a refused password names DATABASE_URL, its server and user, not the password', () => {
    const error = described(serverError('28P01', 'password authentication failed for user "app"'));
    assert.equal(error.code, 'postgres_auth_failed');
    assert.equal(error.retry, 'terminal');
    assert.equal(
      error.message,
      'Postgres (DATABASE_URL, db.internal:6543) refused the password of user "app": fix the user or the password in DATABASE_URL.',
    );
  });

  test('a connection failure already wrapped by the store is recognised by its cause', () => {
    const lost = new ReplicatorError('postgres_connection_lost', 'Postgres connection lost', {
      retry: 'transient',
      cause: systemError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.5:6543'),
    });
    assert.equal(described(lost).code, 'postgres_unreachable');
  });

  test('localhost refused on both of its addresses (an AggregateError) is a refused connection', () => {
    const error = new AggregateError([
      systemError('ECONNREFUSED', 'connect ECONNREFUSED ::1:6543'),
      systemError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:6543'),
    ]);
    assert.match(described(error).message, /refused the connection: is Postgres running there\?/);
  });

  test('an error that is not about reaching the service is left as it is', () => {
    const constraint = serverError('23505', 'duplicate key value violates unique constraint');
    assert.equal(describeInfrastructureError(constraint, { service: 'postgres', url: DATABASE_URL }), constraint);
    const plain = new Error('something else');
    assert.equal(describeInfrastructureError(plain, { service: 'redis', url: new Secret('redis://localhost') }), plain);
  });

  test('Nango unreachable: the code once, NANGO_HOST named, credentials in the host never shown', () => {
    const cause = systemError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:3003');
    const error = describeNangoTransportError(new TypeError('fetch failed', { cause }), {
      host: 'http://user:host-pass@127.0.0.1:3003',
      method: 'GET',
      path: '/records',
    });
    assert.equal(error.code, 'nango_connection_refused');
    assert.equal(
      error.message,
      'Nango (NANGO_HOST, http://127.0.0.1:3003) refused the connection (ECONNREFUSED, on GET /records): is Nango running there, and is NANGO_HOST its API URL?',
    );
    const reset = describeNangoTransportError(new TypeError('fetch failed', { cause: systemError('ECONNRESET', 'read ECONNRESET') }), {
      host: 'https://api.nango.dev',
      method: 'GET',
      path: '/records',
    });
    assert.equal(reset.code, 'nango_unreachable');
    assert.equal(reset.retry, 'transient');
    assert.match(reset.message, /could not be reached \(ECONNRESET, on GET \/records\)/);
  });
});

describe('a port the worker cannot listen on names the setting that chose it', () => {
  const http = (code: string, setting?: 'PORT' | 'ADMIN_PORT') =>
    describeInfrastructureError(systemError(code, code), {
      service: 'http',
      port: 9464,
      ...(setting ? { setting } : {}),
    }) as ReplicatorError;

  test('PORT by default, ADMIN_PORT for the admin door', () => {
    assert.match(
      http('EADDRINUSE').message,
      /^PORT 9464 is in use by another process \(EADDRINUSE\): .* set PORT to a free port \(PORT=0 picks one\)\.$/,
    );
    assert.match(
      http('EADDRINUSE', 'ADMIN_PORT').message,
      /^ADMIN_PORT 9464 is in use .* set ADMIN_PORT to a free port \(ADMIN_PORT=0 picks one\)\.$/,
    );
    assert.match(http('EACCES', 'ADMIN_PORT').message, /^ADMIN_PORT 9464 needs privileges .* set ADMIN_PORT to a port above 1023\.$/);
    assert.equal(http('EADDRINUSE', 'ADMIN_PORT').retry, 'terminal');
  });
});
