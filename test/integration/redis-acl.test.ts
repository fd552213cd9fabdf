import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { REDIS_ACL_COMMANDS, redisAclRule } from '../../src/config/redis-acl.js';
import { startPrivateRedis, type PrivateRedis } from '../faults/private-redis.js';
import { assertMatchesSource } from '../helpers/assert-matches-source.js';
import { runCliProcess } from '../helpers/run-cli-process.js';
import { makeTicket, ticketJsonSchema } from '../helpers/ticket-model.js';
import { baseConfig, createWorkerFleet, waitUntil, type WorkerFleet } from '../helpers/worker-fleet.js';

const PCK = 'helpdesk';
const MODEL = 'Ticket';
const CONNECTIONS = ['acme', 'globex'];
const PASSWORD = 'acl-test-password-0123456789';

/**
 * A private redis-server (never the shared one) with an ACL user allowed only the replicator's key prefixes and the
 * commands of REDIS_ACL_COMMANDS: a fleet of workers, `sync` and `backfill --wait` converge as that user, Redis'
 * ACL LOG records no denial, and every key on the server lies under the prefixes.
 */
describe('Redis as an ACL user restricted to the configured prefixes and the documented commands', () => {
  let f: WorkerFleet;
  let redis: PrivateRedis;
  let admin: Redis;
  let env: Record<string, string>;

  const converged = async () => {
    for (const connectionId of CONNECTIONS) {
      assertMatchesSource(await f.rows('ticket', connectionId), f.standIn.store.snapshot(PCK, connectionId, MODEL));
    }
  };

  before(async () => {
    redis = await startPrivateRedis();
    admin = new Redis(redis.url);
    f = await createWorkerFleet('redis_acl');
    const rule = redisAclRule({ queuePrefix: f.queuePrefix, redisKeyPrefix: f.keyPrefix });
    await admin.call('ACL', 'SETUSER', 'replicator', 'reset', 'on', `>${PASSWORD}`, ...rule.split(' '));
    await admin.call('ACL', 'LOG', 'RESET');
    env = { REDIS_URL: `redis://replicator:${PASSWORD}@127.0.0.1:${redis.port}` };
    for (const connectionId of CONNECTIONS) f.standIn.store.addConnection({ providerConfigKey: PCK, connectionId });
    f.standIn.store.deploySync({
      providerConfigKey: PCK,
      name: 'tickets',
      models: [{ name: MODEL, jsonSchema: ticketJsonSchema }],
      runs: 'every hour',
    });
    for (const connectionId of CONNECTIONS)
      f.standIn.store.save(
        PCK,
        connectionId,
        MODEL,
        Array.from({ length: 60 }, (_, n) => makeTicket(n)),
      );
    f.writeConfig(`${baseConfig(f)}streams:\n  - integration: ${PCK}\n    every: 1s\n`);
  });
  after(async () => {
    await f?.close();
    admin?.disconnect();
    await redis?.kill();
  });

  test('the rule names only the two prefixes and the commands listed', () => {
    const rule = redisAclRule({ queuePrefix: 'bull', redisKeyPrefix: 'nango-replicator:' });
    assert.match(rule, /^resetkeys ~bull:\* ~nango-replicator:\* resetchannels -@all /);
    for (const command of REDIS_ACL_COMMANDS) assert.ok(rule.includes(` +${command}`), command);
  });

  test('two workers, sync and backfill --wait converge as the restricted user, with no denial and no key outside the prefixes', async () => {
    const sync = await runCliProcess(['sync', '--integration', PCK, '--connection', 'acme', '--model', MODEL], {
      ...f.env,
      ...env,
      LOG_LEVEL: 'warn',
    });
    assert.equal(sync.code, 0, sync.stderr);
    const workers = [f.spawnWorker(env), f.spawnWorker(env)];
    await waitUntil(converged, 90_000);
    for (const connectionId of CONNECTIONS) f.standIn.store.save(PCK, connectionId, MODEL, [makeTicket(500), makeTicket(501)]);
    await waitUntil(converged, 60_000);
    const backfill = await runCliProcess(
      ['backfill', '--integration', PCK, '--connection', 'globex', '--model', MODEL, '--mode', 'replace', '--wait'],
      {
        ...f.env,
        ...env,
        LOG_LEVEL: 'warn',
      },
    );
    assert.equal(backfill.code, 0, backfill.stderr);
    await waitUntil(converged, 60_000);

    const denials = (await admin.call('ACL', 'LOG')) as unknown[];
    assert.deepEqual(denials, [], `Redis denied: ${JSON.stringify(denials)}`);
    for (const worker of workers) assert.doesNotMatch(worker.stderr(), /NOPERM/);
    const keys = (await admin.keys('*')).filter((key) => !key.startsWith(`${f.queuePrefix}:`) && !key.startsWith(f.keyPrefix));
    assert.deepEqual(keys, [], 'every key lies under the prefixes');
  });

  test('a command outside the list, or a key outside the prefixes, is refused to that user', async () => {
    const user = new Redis(env.REDIS_URL!);
    try {
      await assert.rejects(user.set('elsewhere', '1'), /NOPERM/);
      await assert.rejects(user.call('FLUSHALL'), /NOPERM/);
      await assert.rejects(user.call('KEYS', '*'), /NOPERM/);
    } finally {
      user.disconnect();
    }
  });
});
