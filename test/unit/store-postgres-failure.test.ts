import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReplicatorError } from '../../src/errors/replicator-error.js';
import { asPostgresFailure, noteConnectionError, postgresFailure } from '../../src/store/postgres-failure.js';
import { retryOnPostgresFailure } from '../../src/store/retry-on-postgres-failure.js';
import { captureLogger } from '../helpers/capture-logger.js';

const coded = (code: string, message = `failed with ${code}`) => Object.assign(new Error(message), { code });

describe('Postgres failures are told apart by their code, never by their text', () => {
  test('a session ended by the server, a broken socket or a connection exception is a lost connection', () => {
    for (const code of ['57P01', '57P02', '57P03', '08006', '08003', '08P01', 'ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT']) {
      assert.equal(postgresFailure(coded(code)), 'connection', code);
    }
  });

  test('a serialization failure or a deadlock is a transient conflict', () => {
    assert.equal(postgresFailure(coded('40001')), 'serialization');
    assert.equal(postgresFailure(coded('40P01')), 'serialization');
  });

  test('constraint violations, bad values, missing tables and uncoded errors are none of these', () => {
    for (const code of ['23505', '22P02', '42P01', '42703', '28P01', '3D000']) assert.equal(postgresFailure(coded(code)), null, code);
    // The text pg uses for a closed socket means nothing by itself...
    assert.equal(postgresFailure(new Error('Connection terminated unexpectedly')), null);
    assert.equal(postgresFailure('57P01'), null);
    assert.equal(postgresFailure(undefined), null);
  });

  test('an uncoded error that a pg client emitted as its own error event is a lost connection', () => {
    // ...but the error pg emits on the client when the server closes the socket without a word is known by identity.
    const emitted = new Error('Connection terminated unexpectedly');
    noteConnectionError(emitted);
    assert.equal(postgresFailure(emitted), 'connection');
  });

  test('a lost connection becomes a transient ReplicatorError naming Postgres and the server, keeping the cause', () => {
    const cause = coded('57P01', 'terminating connection due to administrator command');
    const error = asPostgresFailure(cause, 'db.internal:6432');
    assert.ok(error instanceof ReplicatorError);
    assert.equal(error.code, 'postgres_connection_lost');
    assert.equal(error.retry, 'transient');
    assert.equal(error.cause, cause);
    assert.equal(
      error.message,
      'Postgres connection lost (DATABASE_URL db.internal:6432): terminating connection due to administrator command',
    );
    assert.deepEqual(error.details, { sqlstate: '57P01' });
    assert.equal(postgresFailure(error), 'connection');
  });

  test('other errors pass through unchanged', () => {
    const unique = coded('23505');
    assert.equal(asPostgresFailure(unique, 'x:1'), unique);
    const terminal = new ReplicatorError('stream_taken', 'taken', { retry: 'terminal' });
    assert.equal(asPostgresFailure(terminal, 'x:1'), terminal);
    assert.equal(postgresFailure(terminal), null);
  });
});

describe('work retried after a transient Postgres failure', () => {
  const lost = () => asPostgresFailure(coded('57P01', 'terminating connection'), 'h:5432');
  const policy = { attempts: 3, minDelayMs: 1, maxDelayMs: 2 };

  test('succeeds once Postgres is back, after logging each retry', async () => {
    const log = captureLogger('warn');
    let tries = 0;
    const result = await retryOnPostgresFailure({ logger: log.logger }, policy, undefined, async () => {
      tries += 1;
      if (tries < 3) throw lost();
      return 'done';
    });
    assert.equal(result, 'done');
    assert.equal(tries, 3);
    assert.equal(log.lines.filter((line) => line.includes('Postgres failed under the run')).length, 2);
  });

  test('gives up after its attempts, saying how often it retried', async () => {
    let tries = 0;
    await assert.rejects(
      retryOnPostgresFailure({ logger: captureLogger('silent').logger }, policy, undefined, async () => {
        tries += 1;
        throw lost();
      }),
      (error: unknown) => {
        assert.ok(error instanceof ReplicatorError);
        assert.equal(error.code, 'postgres_connection_lost');
        assert.equal(error.message, 'Postgres connection lost (DATABASE_URL h:5432): terminating connection; the run was retried 2 times');
        return true;
      },
    );
    assert.equal(tries, 3);
  });

  test('does not retry any other failure, nor once asked to stop', async () => {
    let tries = 0;
    const other = new ReplicatorError('nango_forbidden', 'no', { retry: 'terminal' });
    await assert.rejects(
      retryOnPostgresFailure({ logger: captureLogger('silent').logger }, policy, undefined, async () => {
        tries += 1;
        throw other;
      }),
      (error) => error === other,
    );
    const stop = new AbortController();
    stop.abort();
    await assert.rejects(
      retryOnPostgresFailure({ logger: captureLogger('silent').logger }, policy, stop.signal, async () => {
        tries += 1;
        throw lost();
      }),
      { code: 'postgres_connection_lost' },
    );
    assert.equal(tries, 2);
  });
});
