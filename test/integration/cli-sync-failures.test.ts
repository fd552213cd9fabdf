import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { streamLockName } from '../../src/stream/stream-ids.js';
import { createRedisLocks } from '../../src/lock/redis-locks.js';
import { assertMatchesSource } from '../helpers/assert-matches-source.js';
import { REDIS_URL, useRedisTestPrefix } from '../helpers/redis-test-prefix.js';
import { createReplicationFixture, type ReplicationFixture, TEST_SECRET_KEY, TICKETS } from '../helpers/replication-fixture.js';
import { runCliProcess } from '../helpers/run-cli-process.js';
import { makeTicket } from '../helpers/ticket-model.js';

const { providerConfigKey: PCK, model: MODEL } = TICKETS;
const CONNECTIONS = ['acme', 'globex', 'initech'] as const;
const ARGS = ['sync', '--integration', PCK, ...CONNECTIONS.flatMap((c) => ['--connection', c]), '--model', MODEL];

describe('nango-replicator sync of several streams, one of which fails', () => {
  const redisKeys = useRedisTestPrefix('cli_sync_failures');
  let f: ReplicationFixture;
  let env: Record<string, string>;
  let dir: string;

  before(async () => {
    f = await createReplicationFixture('cli_sync_failures');
    CONNECTIONS.forEach((connectionId, i) => {
      if (connectionId !== TICKETS.connectionId) f.standIn.store.addConnection({ providerConfigKey: PCK, connectionId });
      f.standIn.store.save(
        PCK,
        connectionId,
        MODEL,
        Array.from({ length: 10 }, (_, n) => makeTicket(100 * i + n)),
      );
    });
    dir = mkdtempSync(join(tmpdir(), 'nr-cli-failures-'));
    const configPath = join(dir, 'replicator.yaml');
    writeFileSync(configPath, `redis:\n  keyPrefix: "${redisKeys.prefix}"\n`);
    env = {
      NANGO_SECRET_KEY: TEST_SECRET_KEY,
      NANGO_HOST: f.standIn.url,
      DATABASE_URL: f.database.url,
      REPLICATOR_CONFIG: configPath,
      LOG_LEVEL: 'silent',
    };
  });
  after(async () => {
    await f.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const rowsOf = async (connectionId: string) =>
    new Map([...(await f.rows())].filter(([, row]) => row._nango_connection_id === connectionId));
  // Streams are read in the order given, so the first request for records is acme's.
  const failAcme = () =>
    f.standIn.faults.failNext(1, {
      status: 403,
      pathPrefix: '/records',
      body: { error: { code: 'forbidden', message: 'no access to acme' } },
    });

  test('the streams after a failed one are still synced, a summary names the failed stream and why, and the exit code is 1', async () => {
    failAcme();
    const result = await runCliProcess(ARGS, env);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /helpdesk\/globex\/Ticket: 1 page, 10 records, 10 upserted/);
    assert.match(result.stdout, /helpdesk\/initech\/Ticket: 1 page, 10 records, 10 upserted/);
    assert.doesNotMatch(result.stdout, /helpdesk\/acme/);
    assert.match(result.stderr, /1 of 3 streams failed:\n {2}helpdesk\/acme\/Ticket: nango_forbidden: .*no access to acme/);
    for (const connectionId of ['globex', 'initech'])
      assertMatchesSource(await rowsOf(connectionId), f.standIn.store.snapshot(PCK, connectionId, MODEL));
    assert.equal((await rowsOf('acme')).size, 0);

    const again = await runCliProcess(ARGS, env);
    assert.equal(again.code, 0, again.stderr);
    assertMatchesSource(await rowsOf('acme'), f.standIn.store.snapshot(PCK, 'acme', MODEL));
  });

  test('with REDIS_URL, a failed stream and a stream skipped because a worker reads it: the failure wins, exit code 1', async () => {
    const locks = createRedisLocks({ redis: redisKeys.redis }, { keyPrefix: `${redisKeys.prefix}lock:`, ttlMs: 30_000 });
    const held = await locks.tryAcquire(streamLockName({ ...TICKETS, connectionId: 'globex' }), 'worker-7:4242 job 99');
    assert.ok(held !== null);
    try {
      failAcme();
      const result = await runCliProcess(ARGS, { ...env, REDIS_URL });
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /helpdesk\/globex\/Ticket: skipped, a worker job \(worker-7:4242 job 99\) is reading this stream/);
      assert.match(result.stderr, /1 of 3 streams failed:\n {2}helpdesk\/acme\/Ticket: nango_forbidden/);
      assert.match(result.stdout, /helpdesk\/initech\/Ticket: /);
    } finally {
      await held.release();
    }
  });
});
