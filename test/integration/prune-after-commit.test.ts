import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { loadConfig } from '../../src/config/load-config.js';
import { Secret } from '../../src/config/secret.js';
import { ReplicatorError } from '../../src/errors/replicator-error.js';
import { createNangoClient } from '../../src/nango/nango-client.js';
import { openGate, type RequestGate } from '../../src/ratelimit/request-gate.js';
import { replicateStream, type ReplicateOptions, type ReplicateSummary } from '../../src/replicate/replicate-stream.js';
import { seedTickets, TEST_SECRET_KEY, TICKETS, useReplicationFixture } from '../helpers/replication-fixture.js';
import { runCliProcess } from '../helpers/run-cli-process.js';
import { makeTicket } from '../helpers/ticket-model.js';
import { directModelFields } from '../../src/replicate/model-fields-lookup.js';

const { providerConfigKey: PCK, connectionId: CONN, model: MODEL } = TICKETS;

describe('prune after commit (nango.pruneAfterCommit)', () => {
  const f = useReplicationFixture('prune_after_commit', {
    reset: async ({ db }) => void (await sql`DROP FUNCTION IF EXISTS nango.fail_later() CASCADE`.execute(db)),
  });

  const source = () => f.standIn.store.snapshot(PCK, CONN, MODEL);
  const prunes = () => f.standIn.requests.filter((r) => r.method === 'PATCH' && r.path.startsWith('/records/prune'));

  /** A sync through a client with pruning on, behind a gate that counts the tokens it hands out. */
  function pruningSync(options: Partial<ReplicateOptions> = {}, gate: RequestGate = openGate): Promise<ReplicateSummary> {
    const nango = createNangoClient(
      { fetch, gate, logger: f.logger },
      {
        host: f.standIn.url,
        secretKey: new Secret(TEST_SECRET_KEY),
        requestTimeoutMs: 5_000,
        retries: 3,
        retryMinDelayMs: 10,
        retryMaxDelayMs: 50,
        pruneAfterCommit: true,
      },
    );
    return replicateStream(
      { db: f.db, nango, modelFields: directModelFields(nango), logger: f.logger },
      { stream: TICKETS, schema: 'nango', deletes: 'soft', fillfactor: 100, pageSize: 25, recordsPerTransaction: 50, ...options },
    );
  }

  /** Every given ticket is in the table with the values Nango had before it pruned them. */
  async function assertTableHolds(numbers: number[]): Promise<void> {
    const rows = await f.rows();
    assert.equal(rows.size, numbers.length);
    for (const n of numbers) {
      const expected = makeTicket(n);
      const row = rows.get(expected.id as string);
      assert.ok(row, `${String(expected.id)} is in the table`);
      assert.equal(row.title, expected.title);
      assert.equal(row.points, String(expected.points));
      assert.deepEqual(row._nango_raw, expected);
    }
  }

  const range = (count: number) => Array.from({ length: count }, (_, n) => n);

  test('is off by default: a sync sends no PATCH and Nango keeps every payload', async () => {
    const config = (file: string | null) => loadConfig({ env: {}, readTextFile: () => file });
    assert.equal(config(null).nango.pruneAfterCommit, false);
    assert.equal(config('nango:\n  pruneAfterCommit: true\n').nango.pruneAfterCommit, true);
    seedTickets(f.standIn, 0, 60);
    const before = prunes().length;
    await f.sync();
    assert.equal(prunes().length, before);
    assert.ok(source().every((record) => record.prunedAt === null && record.payload['title'] !== undefined));
  });

  test('after a sync, Nango holds no payload of the committed records, the table holds every value, within the budget', async () => {
    seedTickets(f.standIn, 0, 130);
    let tokens = 0;
    const counting: RequestGate = { acquire: (signal) => (tokens++, openGate.acquire(signal)), observe: openGate.observe };
    const requestsBefore = f.standIn.requests.length;
    const prunesBefore = prunes().length;

    const summary = await pruningSync({}, counting);

    assert.equal(summary.complete, true);
    for (const record of source()) {
      assert.notEqual(record.prunedAt, null, `${record.id} is pruned`);
      assert.deepEqual(record.payload, {}, `${record.id} has no payload left in Nango`);
    }
    await assertTableHolds(range(130));
    assert.ok(prunes().length > prunesBefore, 'it sent PATCH /records/prune');
    assert.equal(tokens, f.standIn.requests.length - requestsBefore, 'every request, prunes too, took a token from the gate');
  });

  test('a full re-read after pruning gets the records back pruned and leaves the stored values intact', async () => {
    seedTickets(f.standIn, 0, 80);
    await pruningSync();
    const summary = await pruningSync({ full: true });
    assert.equal(summary.records, 80, 'the re-read saw every record');
    await assertTableHolds(range(80));
    const rows = await f.rows();
    assert.ok(
      [...rows.values()].every((row) => row._nango_pruned_at instanceof Date),
      'the rows know Nango pruned them',
    );
  });

  for (const failure of ['raises', 'loses its connection'] as const) {
    test(`never prunes past the committed cursor when a page transaction ${failure} with pages in flight behind it`, async () => {
      seedTickets(f.standIn, 0, 100);
      await f.sync({ pageSize: 1000 }); // creates the table, without pruning
      await sql`TRUNCATE nango.ticket`.execute(f.db);
      await sql`UPDATE nango_replicator.streams SET cursor = NULL`.execute(f.db);
      const order = source();
      const failing = order[64]!.id;
      // The failing record's insert is slow first, so the pages after it are written and wait for it to commit; then
      // it raises, or sleeps until the test terminates its session.
      const then =
        failure === 'raises' ? sql.raw(`PERFORM pg_sleep(0.3); RAISE EXCEPTION 'injected failure';`) : sql.raw('PERFORM pg_sleep(30);');
      await sql`
        CREATE FUNCTION nango.fail_later() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.id = ${sql.lit(failing)} THEN ${then} END IF; RETURN NEW; END $$;
        CREATE TRIGGER fail_later BEFORE INSERT ON nango.ticket FOR EACH ROW EXECUTE FUNCTION nango.fail_later();
      `.execute(f.db);

      // Pages of 10, up to two to a transaction, three transactions in flight.
      let running = true;
      let terminated = false;
      const run = pruningSync({ pageSize: 10, recordsPerTransaction: 20 });
      void run.catch(() => {}).finally(() => (running = false)); // observed below, once the loop ends
      // Meanwhile: whatever Nango has pruned (looked at first) was committed (looked at after).
      while (running) {
        const pruned = source()
          .filter((record) => record.prunedAt !== null)
          .map((record) => record.id);
        const { rows } = await sql<{ id: string }>`SELECT id FROM nango.ticket`.execute(f.db);
        const committed = new Set(rows.map((row) => row.id));
        for (const id of pruned) assert.ok(committed.has(id), `${id} was pruned before its page committed`);
        if (failure === 'loses its connection' && !terminated) terminated = await terminateSleeper();
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (failure === 'raises') await assert.rejects(run, /injected failure/);
      else await assert.rejects(run, (error) => error instanceof ReplicatorError && error.code === 'postgres_connection_lost');

      const { cursor } = await f.db.selectFrom('nango_replicator.streams').select('cursor').executeTakeFirstOrThrow();
      const last = order.findIndex((record) => record.cursor === cursor);
      // Which pages share a transaction depends on what arrived together: the failing page (60..69) may have joined 50..59.
      assert.ok(last === 49 || last === 59, `the transactions before the failing one committed (up to ${last})`);
      const stored = [...(await f.rows()).keys()].sort();
      assert.deepEqual(
        stored,
        order
          .slice(0, last + 1)
          .map((record) => record.id)
          .sort(),
      );
      const after = source();
      assert.deepEqual(
        after.map((record) => record.prunedAt !== null),
        after.map((_, index) => index <= last),
        'pruned exactly up to the committed cursor',
      );
      assert.ok(
        after.slice(last + 1).every((record) => record.payload['title'] !== undefined),
        'Nango keeps what did not commit',
      );

      await sql`DROP TRIGGER fail_later ON nango.ticket`.execute(f.db);
      await pruningSync({ pageSize: 10 });
      assert.ok(
        source().every((record) => record.prunedAt !== null),
        'the next run prunes the rest once it committed',
      );
      await assertTableHolds(range(100));
    });
  }

  test('the sync command prunes when the config file turns it on', async () => {
    seedTickets(f.standIn, 0, 60);
    const dir = mkdtempSync(join(tmpdir(), 'prune-after-commit-'));
    try {
      const configPath = join(dir, 'replicator.yaml');
      writeFileSync(configPath, 'nango:\n  pruneAfterCommit: true\n');
      const env = {
        NANGO_SECRET_KEY: TEST_SECRET_KEY,
        NANGO_HOST: f.standIn.url,
        DATABASE_URL: f.database.url,
        REPLICATOR_CONFIG: configPath,
      };
      const result = await runCliProcess(['sync', '--integration', PCK, '--connection', CONN, '--model', MODEL, '--page-size', '25'], env);
      assert.equal(result.code, 0, result.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.ok(source().every((record) => record.prunedAt !== null && Object.keys(record.payload).length === 0));
    await assertTableHolds(range(60));
  });

  /** Terminates the session whose trigger sleeps in pg_sleep, if one does yet; true when it did. */
  async function terminateSleeper(): Promise<boolean> {
    const { rows } = await sql<{ pid: number }>`
      SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'`.execute(f.db);
    const pid = rows[0]?.pid;
    if (pid === undefined) return false;
    await sql`SELECT pg_terminate_backend(${pid})`.execute(f.db);
    return true;
  }

  test('a prune that fails is logged, does not fail the run, and the next committed page prunes up to its own cursor', async () => {
    seedTickets(f.standIn, 0, 100);
    f.standIn.faults.failNext(1, {
      status: 403,
      pathPrefix: '/records/prune',
      body: { error: { code: 'forbidden', message: 'Insufficient scope. Required: environment:records:write' } },
    });
    const summary = await pruningSync({ recordsPerTransaction: 25 });
    assert.equal(summary.complete, true);
    assert.match(f.logText(), /could not prune records in Nango/);
    assert.match(f.logText(), /environment:records:write/);
    assert.ok(
      source().every((record) => record.prunedAt !== null),
      'a later prune covered what the failed one would have',
    );
    await assertTableHolds(range(100));
  });
});
