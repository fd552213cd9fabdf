import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { type Kysely, sql } from 'kysely';
import { SYNC_QUEUE } from '../../src/jobs/queue/queue-names.js';
import { startNangoStandIn, type NangoStandIn, type NangoStandInOptions } from '../../stand-in/nango-stand-in.js';
import { createDatabase } from '../../src/store/create-database.js';
import { migrateToLatest } from '../../src/store/migrate-to-latest.js';
import type { ReplicatorDatabase } from '../../src/store/replicator-tables.js';
import { TEST_SECRET_KEY } from './replication-fixture.js';
import { REDIS_URL } from './redis-test-prefix.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';
import { deleteRedisKeys } from './delete-redis-keys.js';

const CLI = fileURLToPath(new URL('../../workers/cli.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export { REDIS_URL };

/** One `nango-replicator worker` child process. */
export interface SpawnedWorker {
  child: ChildProcess;
  /** Resolves when the process has exited. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
  /** Resolves with the first log line matching `pattern` (JSON lines), or rejects after `timeoutMs`. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** The public door's port: webhooks, health (read from its "http listening" log line). */
  port(): Promise<number>;
  /** The admin door's port: status page, /metrics, health (read from its "admin http listening" log line). */
  adminPort(): Promise<number>;
}

/** The stand-in, a database, Redis prefixes of this test file only, and a way to start workers against them. */
export interface WorkerFleet {
  standIn: NangoStandIn;
  database: TestDatabase;
  db: Kysely<ReplicatorDatabase>;
  redis: Redis;
  /** The `nango-sync` queue as the workers see it. */
  queue: Queue;
  queuePrefix: string;
  keyPrefix: string;
  /** Environment of the workers (and of the CLI run by the test). */
  env: Record<string, string>;
  /** Replaces the YAML configuration the next workers read. */
  writeConfig(yaml: string): void;
  spawnWorker(extraEnv?: Record<string, string>): SpawnedWorker;
  /** Every row of a model table for one connection (its base variant), by id. */
  rows(table: string, connectionId: string): Promise<Map<string, Record<string, unknown>>>;
  /** Kills any worker still running, deletes this file's Redis keys, drops the database. */
  close(): Promise<void>;
}

/** `migrate: false` leaves the new database empty (a test then migrates it as another role). Default true. */
export async function createWorkerFleet(
  label: string,
  standInOptions: Partial<NangoStandInOptions> = {},
  options: { migrate?: boolean } = {},
): Promise<WorkerFleet> {
  const suffix = randomBytes(4).toString('hex');
  const queuePrefix = `test-${label}-${suffix}`;
  const keyPrefix = `test-${label}-${suffix}-nr:`;
  const database = await createTestDatabase(label);
  const standIn = await startNangoStandIn({ secretKey: TEST_SECRET_KEY, ...standInOptions });
  const db = createDatabase({ url: database.secretUrl });
  if (options.migrate !== false) await migrateToLatest(db);
  const redis = new Redis(REDIS_URL);
  const queue = new Queue(SYNC_QUEUE, { connection: { url: REDIS_URL }, prefix: queuePrefix });
  const dir = mkdtempSync(join(tmpdir(), `nr-${label}-`));
  const configPath = join(dir, 'replicator.yaml');
  const env = {
    NANGO_SECRET_KEY: TEST_SECRET_KEY,
    NANGO_HOST: standIn.url,
    DATABASE_URL: database.url,
    REDIS_URL,
    REPLICATOR_CONFIG: configPath,
    PORT: '0',
    ADMIN_PORT: '0',
    LOG_LEVEL: 'debug',
  };
  const children: SpawnedWorker[] = [];
  return {
    standIn,
    database,
    db,
    redis,
    queue,
    queuePrefix,
    keyPrefix,
    env,
    writeConfig: (yaml) => writeFileSync(configPath, yaml),
    spawnWorker(extraEnv = {}) {
      const worker = spawnWorker({ ...env, ...extraEnv });
      children.push(worker);
      return worker;
    },
    async rows(table, connectionId) {
      const { rows } = await sql<Record<string, unknown>>`
        SELECT * FROM ${sql.table(`nango.${table}`)} WHERE _nango_connection_id = ${connectionId} AND _nango_variant = 'base'
        ORDER BY id`.execute(db);
      return new Map(rows.map((row) => [row.id as string, row]));
    },
    async close() {
      for (const worker of children) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
      await Promise.all(children.map((w) => w.done));
      // WORKER_LOG_DIR=/tmp/x keeps each worker's log for a look after the run.
      const logDir = process.env.WORKER_LOG_DIR;
      if (logDir) children.forEach((w, i) => writeFileSync(join(logDir, `${label}-${suffix}-${i}.log`), w.stderr()));
      await queue.close();
      await deleteRedisKeys(redis, [`${queuePrefix}:*`, `${keyPrefix}*`]);
      await redis.quit();
      await db.destroy();
      await standIn.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The YAML lines every worker test uses: this file's prefixes, short periods, a rate-limit bucket of its own. */
export function baseConfig(
  fleet: Pick<WorkerFleet, 'queuePrefix' | 'keyPrefix'>,
  overrides: { rateLimit?: string; worker?: string } = {},
): string {
  return [
    'nango:',
    '  pageSize: 20',
    '  retryMinDelay: 20ms',
    '  retryMaxDelay: 200ms',
    '  rateLimit:',
    `    key: ${fleet.keyPrefix.replace(/:$/, '')}`,
    overrides.rateLimit ?? '    requestsPerMinute: 100000',
    'discovery:',
    '  every: 500ms',
    'worker:',
    overrides.worker ?? '  concurrency: 2\n  slice: 2\n  lockDuration: 3s\n  shutdownTimeout: 10s\n  backoff: 100ms\n  attempts: 3',
    'queue:',
    `  prefix: ${fleet.queuePrefix}`,
    'redis:',
    `  keyPrefix: "${fleet.keyPrefix}"`,
    '',
  ].join('\n');
}

function spawnWorker(env: Record<string, string>): SpawnedWorker {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'worker'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
    for (const listener of listeners) listener();
  });
  child.stdout?.resume();
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  const waitForLog = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = stderr.split('\n').find((l) => pattern.test(l));
        if (line === undefined) return;
        cleanup();
        resolve(line);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no log line matching ${pattern} within ${timeoutMs} ms:\n${stderr.slice(-4000)}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });
  return {
    child,
    done,
    stderr: () => stderr,
    waitForLog,
    port: async () => (JSON.parse(await waitForLog(/"msg":"http listening"/)) as { port: number }).port,
    adminPort: async () => (JSON.parse(await waitForLog(/"msg":"admin http listening"/)) as { port: number }).port,
  };
}

/** Polls `check` until it returns without throwing; rethrows its last error after `timeoutMs`. */
export async function waitUntil<T>(check: () => Promise<T> | T, timeoutMs = 60_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(intervalMs);
    }
  }
}
