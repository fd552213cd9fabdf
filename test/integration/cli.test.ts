import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import pg from 'pg';
import { assertMatchesSource } from '../helpers/assert-matches-source.js';
import {
  createReplicationFixture,
  type ReplicationFixture,
  seedTickets,
  TEST_SECRET_KEY,
  TICKETS,
} from '../helpers/replication-fixture.js';
import { runCliProcess, spawnCli } from '../helpers/run-cli-process.js';
import { makeTicket } from '../helpers/ticket-model.js';
import { waitForRowLockWait } from '../helpers/wait-for-row-lock-wait.js';

const STREAM_ARGS = ['--integration', TICKETS.providerConfigKey, '--connection', TICKETS.connectionId, '--model', TICKETS.model];

describe('the nango-replicator command', () => {
  let f: ReplicationFixture;
  let env: Record<string, string>;
  before(async () => {
    f = await createReplicationFixture('cli');
    env = { NANGO_SECRET_KEY: TEST_SECRET_KEY, NANGO_HOST: f.standIn.url, DATABASE_URL: f.database.url, LOG_LEVEL: 'info' };
  });
  after(async () => {
    await f.close();
  });

  test('--help explains the commands and the environment', async () => {
    const result = await runCliProcess(['--help'], {});
    assert.equal(result.code, 0);
    assert.match(result.stdout, /sync/);
    assert.match(result.stdout, /migrate/);
    assert.match(result.stdout, /NANGO_SECRET_KEY/);
    const sync = await runCliProcess(['sync', '--help'], {});
    assert.match(sync.stdout, /--integration <key>/);
    assert.match(sync.stdout, /--full/);
  });

  test('sync replicates the stream, prints a summary, and a second run fetches nothing', async () => {
    seedTickets(f.standIn, 0, 230);
    const first = await runCliProcess(['sync', ...STREAM_ARGS, '--page-size', '100'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stdout,
      /helpdesk\/acme\/Ticket: 3 pages, 230 records, 230 upserted, 0 deleted, 0 value errors in .* \(up to date\)/,
    );
    const second = await runCliProcess(['sync', ...STREAM_ARGS, '--json'], env);
    assert.equal(second.code, 0, second.stderr);
    const summary = JSON.parse(second.stdout) as { records: number; complete: boolean };
    assert.equal(summary.records, 0);
    assert.equal(summary.complete, true);
    assertMatchesSource(await f.rows(), f.standIn.store.snapshot(TICKETS.providerConfigKey, TICKETS.connectionId, TICKETS.model));
  });

  test('sync --variant reads that variant of the model into the same table, beside the plain sync; a bad name is refused', async () => {
    f.standIn.store.save(TICKETS.providerConfigKey, TICKETS.connectionId, 'Ticket::eu', [{ ...makeTicket(1), title: 'from eu' }]);
    const eu = await runCliProcess(['sync', ...STREAM_ARGS, '--variant', 'eu'], env);
    assert.equal(eu.code, 0, eu.stderr);
    assert.match(eu.stdout, /helpdesk\/acme\/Ticket::eu: 1 page, 1 record, 1 upserted/);
    const { rows } = await sql`SELECT id, title FROM nango.ticket WHERE _nango_variant = 'eu'`.execute(f.db);
    assert.deepEqual(rows, [{ id: makeTicket(1).id, title: 'from eu' }]);
    const bad = await runCliProcess(['sync', ...STREAM_ARGS, '--variant', 'eu west'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--variant.*must be a sync variant name/);
  });

  test('a process killed in the middle of a page transaction loses nothing: the next run completes exactly', async () => {
    const source = () => f.standIn.store.snapshot(TICKETS.providerConfigKey, TICKETS.connectionId, TICKETS.model);
    seedTickets(f.standIn, 0, 100);
    assert.equal((await runCliProcess(['sync', ...STREAM_ARGS], env)).code, 0);
    // Every record changes, then a row lock held here stalls the child inside the transaction of one page.
    f.standIn.store.update(
      TICKETS.providerConfigKey,
      TICKETS.connectionId,
      TICKETS.model,
      source().map((r) => ({ id: r.id, title: `v2 ${r.id}` })),
    );
    const victim = source()[45]?.id as string;
    const blocker = new pg.Client({ connectionString: f.database.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM nango.ticket WHERE id = $1 FOR UPDATE', [victim]);
    const spawnedAt = new Date();
    // Pages that take 100 ms each commit one by one (pages that arrive at once share a transaction).
    f.standIn.faults.delayNext(5, 100, { pathPrefix: '/records' });
    const { child, done } = spawnCli(['sync', ...STREAM_ARGS, '--page-size', '20'], { ...env, LOG_LEVEL: 'debug' });
    // Wait for the two pages before the victim's to commit (with two pages in flight, a later page can wait on
    // a lock too), then for the victim's page to be stuck on the row lock.
    const v2Rows = async () => [...(await f.rows()).values()].filter((r) => String(r.title).startsWith('v2')).length;
    for (let i = 0; i < 200 && (await v2Rows()) < 40; i++) await sleep(50);
    const blocked = await waitForRowLockWait(f.database.url, spawnedAt, 10_000);
    child.kill('SIGKILL');
    const result = await done;
    assert.ok(blocked, `the child never blocked on the row lock: ${result.stderr}`);
    assert.equal(result.signal, 'SIGKILL');
    await blocker.query('ROLLBACK');
    await blocker.end();

    const rows = await f.rows();
    const updated = [...rows.values()].filter((r) => String(r.title).startsWith('v2')).length;
    assert.equal(updated, 40, 'the two pages before the stalled one committed; the stalled one did not');
    const resumed = await runCliProcess(['sync', ...STREAM_ARGS, '--json'], env);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal((JSON.parse(resumed.stdout) as { records: number }).records, source().length - 40);
    assertMatchesSource(await f.rows(), source());
  });

  test('the secret key never reaches the output, at debug level and on a refused key', async () => {
    const debug = await runCliProcess(['sync', ...STREAM_ARGS], { ...env, LOG_LEVEL: 'debug' });
    assert.equal(debug.code, 0, debug.stderr);
    assert.match(debug.stderr, /nango response/, 'debug lines were written');
    const otherKey = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    const refused = await runCliProcess(['sync', ...STREAM_ARGS], { ...env, LOG_LEVEL: 'trace', NANGO_SECRET_KEY: otherKey });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /Nango refused the secret key .*Check NANGO_SECRET_KEY/);
    for (const output of [debug.stdout, debug.stderr, refused.stdout, refused.stderr]) {
      assert.equal(output.includes(TEST_SECRET_KEY), false);
      assert.equal(output.includes(otherKey), false);
    }
  });

  test('configuration errors name what is wrong and exit 2', async () => {
    const noKey = await runCliProcess(['sync', ...STREAM_ARGS], { ...env, NANGO_SECRET_KEY: '' });
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /NANGO_SECRET_KEY is not set/);
    const badHost = await runCliProcess(['sync', ...STREAM_ARGS], { ...env, NANGO_HOST: 'not a url' });
    assert.equal(badHost.code, 2);
    assert.match(badHost.stderr, /NANGO_HOST/);
    const missingFile = await runCliProcess(['migrate'], { ...env, REPLICATOR_CONFIG: '/nonexistent.yaml' });
    assert.equal(missingFile.code, 2);
    assert.match(missingFile.stderr, /REPLICATOR_CONFIG points to \/nonexistent.yaml/);
    const missingOption = await runCliProcess(['sync', '--integration', 'x'], env);
    assert.equal(missingOption.code, 2);
    assert.match(missingOption.stderr, /--connection/);
  });

  test("with REDIS_URL set, sync takes its tokens from the fleet's shared bucket; an unreachable Redis is named", async () => {
    const prefix = `test-cli-${process.pid}-${Date.now()}:`;
    const dir = mkdtempSync(join(tmpdir(), 'nr-cli-'));
    const configPath = join(dir, 'replicator.yaml');
    writeFileSync(configPath, `redis:\n  keyPrefix: "${prefix}"\n`);
    const redis = new Redis('redis://127.0.0.1:6379');
    try {
      const shared = await runCliProcess(['sync', ...STREAM_ARGS], {
        ...env,
        REPLICATOR_CONFIG: configPath,
        REDIS_URL: 'redis://127.0.0.1:6379',
      });
      assert.equal(shared.code, 0, shared.stderr);
      const keys = await redis.keys(`${prefix}ratelimit:*`);
      assert.ok(keys.length > 0, 'the bucket was used');
      const down = await runCliProcess(['sync', ...STREAM_ARGS], {
        ...env,
        REPLICATOR_CONFIG: configPath,
        REDIS_URL: 'redis://127.0.0.1:1',
      });
      assert.equal(down.code, 1);
      assert.match(down.stderr, /Redis \(REDIS_URL, 127\.0\.0\.1:1\) refused the connection: is Redis running there\?.*unset REDIS_URL/);
    } finally {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an unknown connection fails with a message naming it', async () => {
    const result = await runCliProcess(['sync', '--integration', 'helpdesk', '--connection', 'nobody', '--model', 'Ticket'], env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no connection "nobody" for integration "helpdesk"/);
  });

  test('output piped into a reader that goes away (status | head) ends the command quietly, without a stack trace', async () => {
    for (const args of [['status'], ['--help']]) {
      const { child, done } = spawnCli(args, env);
      child.stdout?.destroy(); // the reader is gone before the first line is written: every write fails with EPIPE
      const result = await done;
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      assert.doesNotMatch(result.stderr, /Unhandled 'error' event|EPIPE/);
    }
  });
});
