import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { once } from 'node:events';
import { type CliResult, runCliProcess, spawnCli } from '../helpers/run-cli-process.js';
import { REDIS_URL, useRedisTestPrefix } from '../helpers/redis-test-prefix.js';
import { Secret } from '../../src/config/secret.js';
import { createDatabase } from '../../src/store/create-database.js';
import { migrateToLatest } from '../../src/store/migrate-to-latest.js';
import { canStartPrivatePostgres, startPrivatePostgres } from '../helpers/private-postgres.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

// What a user sees when a service the replicator needs is missing or refuses it: the service, the setting that
// names it, where it points and what to do, and never a secret. Every case runs the real CLI against real servers.
const PG_PASSWORD = 'pg-pass-5b1e9c';
const REDIS_PASSWORD = 'redis-pass-c4d2a7';
const WRONG_REDIS_PASSWORD = 'wrong-redis-pass-91f0';
const NANGO_KEY = '7d3f1e2a-9b8c-4d5e-a6f7-0b1c2d3e4f5a';
const SECRETS = [PG_PASSWORD, REDIS_PASSWORD, WRONG_REDIS_PASSWORD, NANGO_KEY];

function assertNoSecret(result: { stdout: string; stderr: string }): void {
  for (const secret of SECRETS) {
    assert.equal(result.stdout.includes(secret), false, `stdout shows ${secret}`);
    assert.equal(result.stderr.includes(secret), false, `stderr shows ${secret}`);
  }
}

/** The one line the CLI prints as `error: ...`. */
function errorLine(result: CliResult): string {
  const line = result.stderr.split('\n').find((l) => l.startsWith('error: '));
  assert.ok(line, `no error line in:\n${result.stderr}`);
  return line;
}

/** A TCP port nothing listens on (taken from the OS, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** A private redis-server that wants a password, on a free port; stopped by its pid. */
async function startPasswordRedis(): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--requirepass', REDIS_PASSWORD, '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk) => {
      out += chunk;
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`redis-server exited ${code}: ${out}`)));
  });
  child.stdout?.resume();
  return { port, child };
}

describe('errors that name what to fix', () => {
  const redisKeys = useRedisTestPrefix('infra_errors');
  let database: TestDatabase;
  let dir: string;
  let env: Record<string, string>;
  let databaseUrl: string;
  let yaml: string;
  let configPath: string;

  before(async () => {
    database = await createTestDatabase('infra_errors');
    // Migrated once here, so the commands run side by side below do not race to create the tables.
    const db = createDatabase({ url: new Secret(database.url) });
    await migrateToLatest(db);
    await db.destroy();
    dir = mkdtempSync(join(tmpdir(), 'nr-infra-errors-'));
    configPath = join(dir, 'replicator.yaml');
    const prefix = redisKeys.prefix.replace(/:$/, '');
    yaml = `queue:\n  prefix: ${prefix}-q\nredis:\n  keyPrefix: "${prefix}-nr:"\nnango:\n  retryMinDelay: 20ms\n  retryMaxDelay: 100ms\n`;
    writeFileSync(configPath, yaml);
    // The test server trusts every local connection: the password is there to prove it is never printed.
    const url = new URL(database.url);
    url.password = PG_PASSWORD;
    databaseUrl = url.toString();
    env = {
      NANGO_SECRET_KEY: NANGO_KEY,
      DATABASE_URL: databaseUrl,
      REPLICATOR_CONFIG: configPath,
      LOG_LEVEL: 'warn',
      PORT: '0',
      ADMIN_PORT: '0',
    };
  });
  after(async () => {
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('Postgres: refused, no such database, unknown user: each names DATABASE_URL, where it points and what to do', async () => {
    const port = await freePort();
    const withUrl = (change: (url: URL) => void) => {
      const url = new URL(databaseUrl);
      change(url);
      return { ...env, DATABASE_URL: url.toString() };
    };
    const [refused, workerRefused, missing, unknownUser] = await Promise.all([
      runCliProcess(
        ['status'],
        withUrl((u) => (u.port = String(port))),
      ),
      runCliProcess(['worker'], { ...withUrl((u) => (u.port = String(port))), REDIS_URL }),
      runCliProcess(
        ['migrate'],
        withUrl((u) => (u.pathname = '/nosuchdb')),
      ),
      runCliProcess(
        ['status'],
        withUrl((u) => (u.username = 'nosuchuser')),
      ),
    ]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.equal(
      errorLine(refused),
      `error: Postgres (DATABASE_URL, 127.0.0.1:${port}) refused the connection: is Postgres running there? Start it, or set DATABASE_URL to your server.`,
    );
    assert.equal(workerRefused.code, 1, workerRefused.stderr);
    assert.equal(errorLine(workerRefused), errorLine(refused));
    assert.equal(missing.code, 1, missing.stderr);
    assert.match(
      errorLine(missing),
      /^error: Postgres \(DATABASE_URL, 127\.0\.0\.1:5432\) has no database "nosuchdb": create it \(createdb -h 127\.0\.0\.1 -U postgres nosuchdb\), or fix the database name in DATABASE_URL\.$/,
    );
    assert.equal(unknownUser.code, 1, unknownUser.stderr);
    assert.match(
      errorLine(unknownUser),
      /^error: Postgres \(DATABASE_URL, 127\.0\.0\.1:5432\) refused user "nosuchuser" .*fix the user in DATABASE_URL/,
    );
    for (const result of [refused, workerRefused, missing, unknownUser]) assertNoSecret(result);
  });

  test(
    'a refused Postgres password names DATABASE_URL and its user, and shows no password',
    { skip: !canStartPrivatePostgres() && 'initdb is not available' },
    async () => {
      // The shared server trusts every local connection, so a cluster of this test's own asks for the password.
      const cluster = await startPrivatePostgres({ password: 'right-pg-pass-e1', port: await freePort() });
      try {
        const wrong = new URL(cluster.url);
        wrong.password = PG_PASSWORD;
        const result = await runCliProcess(['migrate'], { ...env, DATABASE_URL: wrong.toString() });
        assert.equal(result.code, 1, result.stderr);
        assert.equal(
          errorLine(result),
          `error: Postgres (DATABASE_URL, 127.0.0.1:${cluster.port}) refused the password of user "postgres": fix the user or the password in DATABASE_URL.`,
        );
        assertNoSecret(result);
        assert.equal(result.stderr.includes('right-pg-pass-e1'), false);
      } finally {
        await cluster.stop();
      }
    },
  );

  test('a DATABASE_URL that is not a URL is named, and its value is not shown', async () => {
    const result = await runCliProcess(['status'], { ...env, DATABASE_URL: `postgres://app:${PG_PASSWORD} x@:port/db` });
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      errorLine(result),
      /^error: Invalid environment: DATABASE_URL: is not a valid URL: write it as postgres:\/\/user:password@host:5432\/database/,
    );
    assertNoSecret(result);
  });

  test('Redis: nothing listening and a refused password are told apart, for sync, worker and backfill', async () => {
    const port = await freePort();
    const redis = await startPasswordRedis();
    try {
      const down = { ...env, REDIS_URL: `redis://:${REDIS_PASSWORD}@127.0.0.1:${port}` };
      const wrong = { ...env, REDIS_URL: `redis://:${WRONG_REDIS_PASSWORD}@127.0.0.1:${redis.port}` };
      const none = { ...env, REDIS_URL: `redis://127.0.0.1:${redis.port}` };
      const sync = ['sync', '--integration', 'helpdesk', '--connection', 'acme', '--model', 'Ticket'];
      const [syncDown, workerDown, syncWrong, workerWrong, backfillWrong, workerNone] = await Promise.all([
        runCliProcess(sync, down),
        runCliProcess(['worker'], down),
        runCliProcess(sync, wrong),
        runCliProcess(['worker'], wrong),
        runCliProcess(['backfill', '--integration', 'helpdesk'], wrong),
        runCliProcess(['worker'], none),
      ]);
      const refusedText = `Redis (REDIS_URL, 127.0.0.1:${port}) refused the connection: is Redis running there? Start it, or set REDIS_URL to your server.`;
      const wrongText = `Redis (REDIS_URL, 127.0.0.1:${redis.port}) is reachable but refused the password (WRONGPASS): fix the password in REDIS_URL`;
      assert.equal(syncDown.code, 1, syncDown.stderr);
      assert.match(
        errorLine(syncDown),
        new RegExp(`^error: ${escape(refusedText)} \\(REDIS_URL is set, .*unset REDIS_URL to run on its own\\.\\)$`),
      );
      assert.equal(workerDown.code, 1, workerDown.stderr);
      assert.equal(errorLine(workerDown), `error: ${refusedText}`);
      for (const result of [syncWrong, workerWrong, backfillWrong]) {
        assert.equal(result.code, 1, result.stderr);
        assert.match(errorLine(result), new RegExp(`^error: ${escape(wrongText)}`));
      }
      assert.match(errorLine(backfillWrong), /The backfill was not queued\.$/);
      assert.equal(workerNone.code, 1, workerNone.stderr);
      assert.match(errorLine(workerNone), /requires a password, and REDIS_URL gives none \(NOAUTH\): add it/);
      for (const result of [syncDown, workerDown, syncWrong, workerWrong, backfillWrong, workerNone]) assertNoSecret(result);
    } finally {
      redis.child.kill('SIGTERM');
      if (redis.child.exitCode === null) await once(redis.child, 'exit');
    }
  });

  test('a worker whose PORT is taken says so and how to choose another', async () => {
    const holder: Server = createServer();
    holder.listen(0, '0.0.0.0');
    await once(holder, 'listening');
    const { port } = holder.address() as { port: number };
    try {
      const result = await runCliProcess(['worker'], { ...env, REDIS_URL, PORT: String(port) });
      assert.equal(result.code, 1, result.stderr);
      assert.equal(
        errorLine(result),
        `error: PORT ${port} is in use by another process (EADDRINUSE): stop that process, or set PORT to a free port (PORT=0 picks one).`,
      );
      assertNoSecret(result);
    } finally {
      holder.close();
    }
  });

  test('a worker whose ADMIN_PORT is taken names ADMIN_PORT, not PORT', async () => {
    const holder: Server = createServer();
    holder.listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const { port } = holder.address() as { port: number };
    try {
      const result = await runCliProcess(['worker'], { ...env, REDIS_URL, ADMIN_PORT: String(port) });
      assert.equal(result.code, 1, result.stderr);
      assert.equal(
        errorLine(result),
        `error: ADMIN_PORT ${port} is in use by another process (EADDRINUSE): stop that process, or set ADMIN_PORT to a free port (ADMIN_PORT=0 picks one).`,
      );
      assertNoSecret(result);
    } finally {
      holder.close();
    }
  });

  test('a NANGO_HOST that refuses, does not resolve, or is not the Nango API: sync fails at once, names NANGO_HOST, and status shows why', async () => {
    const closed = await freePort();
    // Something that is not Nango's API: a web server answering 404 to every path.
    const notNango: HttpServer = createHttpServer((_request, response) =>
      response.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>'),
    );
    notNango.listen(0, '127.0.0.1');
    await once(notNango, 'listening');
    const notNangoHost = `http://127.0.0.1:${(notNango.address() as { port: number }).port}/nango`;
    try {
      const sync = (connection: string, host: string) =>
        runCliProcess(['sync', '--integration', 'helpdesk', '--connection', connection, '--model', 'Ticket'], { ...env, NANGO_HOST: host });
      const [refused, unresolved, notFound] = await Promise.all([
        sync('refused', `http://127.0.0.1:${closed}`),
        sync('unresolved', 'http://nango.invalid'),
        sync('not-found', notNangoHost),
      ]);
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(
        refused.stderr,
        new RegExp(
          `^helpdesk/refused/Ticket: failed: nango_connection_refused: Nango \\(NANGO_HOST, http://127\\.0\\.0\\.1:${closed}\\) refused the connection \\(ECONNREFUSED, on GET /scripts/config\\): is Nango running there, and is NANGO_HOST its API URL\\?$`,
          'm',
        ),
      );
      assert.equal(unresolved.code, 1, unresolved.stderr);
      assert.match(
        unresolved.stderr,
        /^helpdesk\/unresolved\/Ticket: failed: nango_host_not_found: NANGO_HOST \(http:\/\/nango\.invalid\): the host name nango\.invalid does not resolve \(ENOTFOUND, on GET \/scripts\/config\)\. Set NANGO_HOST to the Nango API URL/m,
      );
      assert.equal(notFound.code, 1, notFound.stderr);
      assert.match(
        notFound.stderr,
        new RegExp(
          `nango_not_found: GET /scripts/config answered 404 unknown: is NANGO_HOST \\(${escape(notNangoHost)}\\) the Nango API URL`,
        ),
      );
      for (const result of [refused, unresolved]) {
        // One attempt: no retry was logged (LOG_LEVEL=warn shows every retry), and no raw log line at all.
        assert.doesNotMatch(result.stderr, /retries left|"level"|"stack"|"type":"Object"/, result.stderr);
        assert.doesNotMatch(result.stderr, /ECONNREFUSED connect ECONNREFUSED/);
      }
      for (const result of [refused, unresolved, notFound]) assertNoSecret(result);

      const status = await runCliProcess(['status', '--json'], env);
      assert.equal(status.code, 0, status.stderr);
      const rows = JSON.parse(status.stdout) as Array<{ connectionId: string; lastError: { code: string; message: string } | null }>;
      const lastError = (connectionId: string) => rows.find((row) => row.connectionId === connectionId)?.lastError?.code;
      assert.equal(lastError('refused'), 'nango_connection_refused');
      assert.equal(lastError('unresolved'), 'nango_host_not_found');
      assert.equal(lastError('not-found'), 'nango_not_found');
      assertNoSecret(status);
    } finally {
      notNango.close();
    }
  });

  test('a worker keeps retrying an unreachable NANGO_HOST, one readable line per attempt', async () => {
    const closed = await freePort();
    // A stream rule makes the worker's discovery ask Nango for connections and models at once.
    const withStreams = join(dir, 'with-streams.yaml');
    writeFileSync(withStreams, `${yaml}streams:\n  - integration: helpdesk\n`);
    const { child, done } = spawnCli(['worker'], {
      ...env,
      REDIS_URL,
      REPLICATOR_CONFIG: withStreams,
      NANGO_HOST: `http://127.0.0.1:${closed}`,
    });
    let stderr = '';
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    const retryLines = () => stderr.split('\n').filter((line) => line.includes('Nango request failed (attempt'));
    await waitFor(
      () => retryLines().length >= 2,
      () => stderr,
    );
    child.kill('SIGTERM');
    const result = await done;
    assert.equal(result.code, 0, result.stderr);
    const [first] = retryLines();
    const parsed = JSON.parse(first ?? '') as { msg: string; err: Record<string, unknown> };
    assert.match(
      parsed.msg,
      new RegExp(
        `^Nango request failed \\(attempt 1, \\d+ retries left\\): Nango \\(NANGO_HOST, http://127\\.0\\.0\\.1:${closed}\\) refused the connection`,
      ),
    );
    assert.equal(parsed.err.code, 'nango_connection_refused');
    assert.equal('stack' in parsed.err || 'type' in parsed.err, false, first);
    assertNoSecret(result);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Polls until `ready()`; fails with `context()` after a generous minute (the machine may be busy). */
async function waitFor(ready: () => boolean, context: () => string): Promise<void> {
  for (let waited = 0; !ready(); waited += 100) {
    if (waited > 90_000) assert.fail(`condition not met; output so far:\n${context()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
