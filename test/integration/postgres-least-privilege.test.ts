import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { postgresGrants } from '../../src/store/postgres-grants.js';
import { assertMatchesSource } from '../helpers/assert-matches-source.js';
import { runCliProcess } from '../helpers/run-cli-process.js';
import { makeTicket, ticketJsonSchema } from '../helpers/ticket-model.js';
import { baseConfig, createWorkerFleet, waitUntil, type WorkerFleet } from '../helpers/worker-fleet.js';

const PCK = 'helpdesk';
const MODEL = 'Ticket';
const CONNECTIONS = ['acme', 'globex'];
const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * The README's grants, run as written (postgresGrants) on a fresh database: a role that is no superuser, cannot
 * create databases or roles, has no CREATE on the database, and owns only `nango_replicator` and `nango`. Migrations,
 * sync, two workers and a replace backfill run as that role and converge; the index built CONCURRENTLY and the
 * comments work too.
 */
describe('Postgres as a role with only the documented grants', () => {
  const role = `nr_least_${randomBytes(4).toString('hex')}`;
  let f: WorkerFleet;
  let env: Record<string, string>;
  const converged = async () => {
    for (const c of CONNECTIONS) assertMatchesSource(await f.rows('ticket', c), f.standIn.store.snapshot(PCK, c, MODEL));
  };
  const cli = async (args: string[]) => {
    const result = await runCliProcess(args, { ...f.env, ...env, LOG_LEVEL: 'warn' });
    assert.equal(result.code, 0, `${args.join(' ')}:\n${result.stderr}`);
    return result;
  };

  before(async () => {
    f = await createWorkerFleet('pg_least_privilege', {}, { migrate: false });
    for (const statement of postgresGrants({ database: f.database.name, role, targetSchema: 'nango' }))
      await sql.raw(statement).execute(f.db);
    const url = new URL(f.database.url);
    url.username = role;
    env = { DATABASE_URL: url.toString() };
    for (const c of CONNECTIONS) f.standIn.store.addConnection({ providerConfigKey: PCK, connectionId: c });
    f.standIn.store.deploySync({
      providerConfigKey: PCK,
      name: 'tickets',
      models: [{ name: MODEL, jsonSchema: ticketJsonSchema }],
      runs: 'every hour',
    });
    for (const c of CONNECTIONS)
      f.standIn.store.save(
        PCK,
        c,
        MODEL,
        Array.from({ length: 40 }, (_, n) => makeTicket(n)),
      );
    f.writeConfig(`${baseConfig(f)}streams:\n  - integration: ${PCK}\n    every: 1s\n`);
  });
  after(async () => {
    await f?.close();
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP ROLE IF EXISTS ${role}`).finally(() => admin.end());
  });

  test('the role is no superuser, creates no database or role, and may not create schemas in the database', async () => {
    const { rows } = await sql<{
      rolsuper: boolean;
      rolcreatedb: boolean;
      rolcreaterole: boolean;
      create_db: boolean;
      create_public: boolean;
    }>`
      SELECT rolsuper, rolcreatedb, rolcreaterole,
             has_database_privilege(${role}, current_database(), 'CREATE') AS create_db,
             has_schema_privilege(${role}, 'public', 'CREATE') AS create_public
      FROM pg_roles WHERE rolname = ${role}`.execute(f.db);
    assert.deepEqual(rows[0], { rolsuper: false, rolcreatedb: false, rolcreaterole: false, create_db: false, create_public: false });
  });

  test('migrate, sync, two workers and a replace backfill converge as that role; the CONCURRENTLY index and comments are built', async () => {
    await cli(['migrate']);
    await cli(['sync', '--integration', PCK, '--connection', 'acme', '--model', MODEL]);
    // A table made before its _nango_synced_at index existed: the next run builds it CONCURRENTLY, as the role.
    const roleDb = new pg.Client({ connectionString: env.DATABASE_URL });
    await roleDb.connect();
    try {
      const { rows } = await roleDb.query<{ indexname: string }>(
        `SELECT indexname FROM pg_indexes WHERE schemaname = 'nango' AND indexname LIKE '%synced_at%'`,
      );
      assert.equal(rows.length, 1);
      await roleDb.query(`DROP INDEX nango."${rows[0]!.indexname}"`);
    } finally {
      await roleDb.end();
    }
    const workers = [f.spawnWorker(env), f.spawnWorker(env)];
    await waitUntil(converged, 90_000);
    for (const c of CONNECTIONS) f.standIn.store.save(PCK, c, MODEL, [makeTicket(300), makeTicket(301)]);
    await waitUntil(converged, 60_000);
    await cli(['backfill', '--integration', PCK, '--connection', 'globex', '--model', MODEL, '--mode', 'replace', '--wait']);
    await waitUntil(converged, 60_000);
    for (const worker of workers) assert.doesNotMatch(worker.stderr(), /permission denied|42501/);

    const index = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM pg_indexes WHERE schemaname = 'nango' AND indexname LIKE '%synced_at%'`.execute(f.db);
    assert.equal(index.rows[0]?.n, 1, 'the index was built again, concurrently');
    const comment = await sql<{ c: string | null }>`SELECT obj_description('nango.ticket'::regclass, 'pg_class') AS c`.execute(f.db);
    assert.match(String(comment.rows[0]?.c), /Nango model "Ticket"/);
    const foreign = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relowner = (SELECT oid FROM pg_roles WHERE rolname = ${role}) AND n.nspname NOT IN ('nango', 'nango_replicator', 'pg_toast')`.execute(
      f.db,
    );
    assert.equal(foreign.rows[0]?.n, 0, 'nothing of the role outside its two schemas');
  });
});
