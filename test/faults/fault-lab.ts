import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { type Kysely, sql } from 'kysely';
import { Secret } from '../../src/config/secret.js';
import { startNangoStandIn, type NangoStandIn } from '../../stand-in/nango-stand-in.js';
import { createDatabase } from '../../src/store/create-database.js';
import type { ReplicatorDatabase } from '../../src/store/replicator-tables.js';
import { makeTicket, ticketJsonSchema } from '../helpers/ticket-model.js';
import { adminQuery, type FaultSuite, SHARED_ADMIN_URL, SHARED_REDIS_URL } from './fault-suite.js';
import { type CursorAhead, probeCursors } from './invariant-probe.js';
import { crashSigns, type ReplicatorProcess, spawnReplicator } from './replicator-process.js';
import { diffAgainstSource, type SourceDiff } from './source-diff.js';
import type { FaultStream } from './stream-rows.js';
import { deleteRedisKeys } from '../helpers/delete-redis-keys.js';

/** Options of {@link openFaultLab}. */
export interface FaultLabOptions {
  label: string;
  /** The streams of the scenario; every model gets the Ticket schema unless `schemas` names another. */
  streams: FaultStream[];
  schemas?: Record<string, Record<string, unknown>>;
  /** Superuser URL of the server to create the database on. Default: the shared Postgres. */
  adminUrl?: string;
  /** Default: the shared Redis, under prefixes of this lab. */
  redisUrl?: string;
  /** YAML lines of the `worker:` section (indented), replacing the defaults. */
  worker?: string;
}

/** One scenario's world: a stand-in, a database owned by the password role, Redis prefixes, a config file. */
export interface FaultLab {
  standIn: NangoStandIn;
  streams: FaultStream[];
  /** Superuser connection for the probe and the checks (its backends are never terminated by the suite). */
  db: Kysely<ReplicatorDatabase>;
  databaseName: string;
  /** The URL the processes use: the password role, password included. */
  databaseUrl: string;
  redisUrl: string;
  /** BullMQ prefix of the lab's queues. */
  queuePrefix: string;
  configPath: string;
  env(extra?: Record<string, string | undefined>): Record<string, string>;
  spawn(label: string, args: string[], extraEnv?: Record<string, string | undefined>): ReplicatorProcess;
  worker(extraEnv?: Record<string, string | undefined>): ReplicatorProcess;
  /** `sync` of every stream (one process; repeated --connection/--model pairs per integration). */
  sync(extraEnv?: Record<string, string | undefined>): ReplicatorProcess;
  /** One `sync` per integration, one after the other; resolves with each one's process once they have all ended. */
  syncEach(extraEnv?: Record<string, string | undefined>): Promise<ReplicatorProcess[]>;
  /** Saves `count` new Ticket records in every stream. */
  seed(count: number): void;
  /** Adds, updates and deletes a few records in every stream, as Nango would between two reads. */
  churn(random: () => number): void;
  /** Runs the invariant probe; violations are kept for the report. */
  probe(): Promise<number>;
  violations: CursorAhead[];
  diff(): Promise<SourceDiff>;
  /**
   * A final `sync` without REDIS_URL (no lock can hold it up), retried a few times; returns its outcome. A crash
   * is reported as such.
   */
  converge(): Promise<string | null>;
  /** `pg_terminate_backend` of every backend the processes hold on this database. Returns how many. */
  terminateBackends(): Promise<number>;
  /** A transaction of the processes is open (a page being written), per pg_stat_activity. */
  pageTransactionInFlight(): Promise<boolean>;
  /** A /records request that arrived after the first `since` requests is not answered yet. */
  recordsInFlight(since: number): boolean;
  close(): Promise<void>;
}

export async function openFaultLab(suite: FaultSuite, options: FaultLabOptions): Promise<FaultLab> {
  const suffix = randomBytes(3).toString('hex');
  const adminUrl = options.adminUrl ?? SHARED_ADMIN_URL;
  const redisUrl = options.redisUrl ?? SHARED_REDIS_URL;
  const databaseName = `nr_faults_${options.label
    .replace(/[^a-z0-9]/gi, '_')
    .toLowerCase()
    .slice(0, 30)}_${suffix}`;
  await suite.ensureRole(adminUrl);
  await adminQuery(adminUrl, `CREATE DATABASE ${databaseName} OWNER ${suite.role}`);
  const admin = new URL(adminUrl);
  admin.pathname = `/${databaseName}`;
  const processUrl = new URL(admin.toString());
  processUrl.username = suite.role;
  processUrl.password = suite.password;
  const db = createDatabase({
    url: new Secret(admin.toString()),
    maxConnections: 3,
    applicationName: 'nr-faults-probe',
    onIdleError: () => undefined,
  });

  const standIn = await startNangoStandIn({ secretKey: suite.nangoKey });
  const integrations = new Map<string, { connections: Set<string>; models: Set<string> }>();
  for (const s of options.streams) {
    const entry = integrations.get(s.providerConfigKey) ?? { connections: new Set(), models: new Set() };
    entry.connections.add(s.connectionId);
    entry.models.add(s.model);
    integrations.set(s.providerConfigKey, entry);
  }
  for (const [providerConfigKey, { connections, models }] of integrations) {
    for (const connectionId of connections) standIn.store.addConnection({ providerConfigKey, connectionId });
    standIn.store.deploySync({
      providerConfigKey,
      name: 'faults',
      models: [...models].map((name) => ({
        name,
        jsonSchema: options.schemas?.[name] ?? (ticketJsonSchema as unknown as Record<string, unknown>),
      })),
      runs: 'every 5 minutes',
    });
  }

  const dir = mkdtempSync(join(tmpdir(), `nr-faults-${options.label}-`));
  const configPath = join(dir, 'replicator.yaml');
  const queuePrefix = `faults-${options.label}-${suffix}`;
  const keyPrefix = `faults-${options.label}-${suffix}-nr:`;
  writeFileSync(
    configPath,
    [
      'nango:',
      '  pageSize: 20',
      '  requestTimeout: 10s',
      '  retryMinDelay: 20ms',
      '  retryMaxDelay: 300ms',
      '  rateLimit:',
      `    key: ${queuePrefix}`,
      '    requestsPerMinute: 100000',
      'discovery:',
      '  every: 500ms',
      'worker:',
      options.worker ?? '  concurrency: 2\n  slice: 5\n  lockDuration: 3s\n  shutdownTimeout: 10s\n  backoff: 100ms\n  attempts: 10',
      'webhooks:',
      '  maxBodyBytes: 1048576',
      'queue:',
      `  prefix: ${queuePrefix}`,
      'redis:',
      `  keyPrefix: "${keyPrefix}"`,
      'streams:',
      ...[...integrations.keys()].map((key) => `  - integration: ${JSON.stringify(key)}\n    every: 1s`),
      '',
    ].join('\n'),
  );

  const mine: ReplicatorProcess[] = [];
  let nextId = new Map<string, number>();
  const streamKey = (s: FaultStream) => `${s.providerConfigKey}\u0000${s.connectionId}\u0000${s.model}`;
  const env = (extra: Record<string, string | undefined> = {}) => {
    const merged: Record<string, string | undefined> = {
      NANGO_SECRET_KEY: suite.nangoKey,
      NANGO_HOST: standIn.url,
      DATABASE_URL: processUrl.toString(),
      REDIS_URL: redisUrl,
      REPLICATOR_CONFIG: configPath,
      NANGO_WEBHOOK_SIGNING_KEY: suite.signingKey,
      PORT: '0',
      ADMIN_PORT: '0',
      ADMIN_TOKEN: suite.adminToken,
      LOG_LEVEL: 'debug',
      ...extra,
    };
    return Object.fromEntries(Object.entries(merged).filter((e): e is [string, string] => e[1] !== undefined));
  };
  const spawn = (label: string, args: string[], extraEnv: Record<string, string | undefined> = {}) => {
    const proc = spawnReplicator(`${options.label}:${label}`, args, env(extraEnv), suite.processes);
    mine.push(proc);
    return proc;
  };
  const syncArgs = () => {
    const groups = [...integrations].map(([key, { connections, models }]) => [
      'sync',
      '--integration',
      key,
      ...[...connections].flatMap((c) => ['--connection', c]),
      ...[...models].flatMap((m) => ['--model', m]),
    ]);
    return groups;
  };

  const lab: FaultLab = {
    standIn,
    streams: options.streams,
    db,
    databaseName,
    databaseUrl: processUrl.toString(),
    redisUrl,
    queuePrefix,
    configPath,
    env,
    spawn,
    worker: (extraEnv) => spawn('worker', ['worker'], extraEnv),
    sync: (extraEnv) => {
      const groups = syncArgs();
      if (groups.length !== 1) throw new Error('sync() covers one integration; spawn one sync per integration');
      return spawn('sync', groups[0] as string[], extraEnv);
    },
    async syncEach(extraEnv) {
      const done = [];
      for (const [i, args] of syncArgs().entries()) {
        const proc = spawn(`sync-${i}`, args, extraEnv);
        await proc.done;
        done.push(proc);
      }
      return done;
    },
    seed(count) {
      for (const s of options.streams) {
        const from = nextId.get(streamKey(s)) ?? 0;
        for (let start = from; start < from + count; start += 50) {
          const batch = [];
          for (let n = start; n < Math.min(from + count, start + 50); n++) batch.push(makeTicket(n));
          standIn.store.save(s.providerConfigKey, s.connectionId, s.model, batch);
        }
        nextId.set(streamKey(s), from + count);
      }
    },
    churn(random) {
      for (const s of options.streams) {
        const last = nextId.get(streamKey(s)) ?? 0;
        const pick = () => `T-${Math.floor(random() * last)}`;
        const adds = 5 + Math.floor(random() * 30);
        const batch = [];
        for (let n = last; n < last + adds; n++) batch.push(makeTicket(n));
        standIn.store.save(s.providerConfigKey, s.connectionId, s.model, batch);
        nextId.set(streamKey(s), last + adds);
        const live = new Set(
          standIn.store
            .snapshot(s.providerConfigKey, s.connectionId, s.model)
            .filter((r) => r.deletedAt === null)
            .map((r) => r.id),
        );
        const updates = [...new Set(Array.from({ length: 3 + Math.floor(random() * 12) }, pick))].filter((id) => live.has(id));
        if (updates.length > 0)
          standIn.store.update(
            s.providerConfigKey,
            s.connectionId,
            s.model,
            updates.map((id) => ({ id, title: `changed ${random().toString(36).slice(2, 8)}`, points: Math.floor(random() * 1e6) })),
          );
        const deletes = [...new Set(Array.from({ length: Math.floor(random() * 5) }, pick))].filter(
          (id) => live.has(id) && !updates.includes(id),
        );
        if (deletes.length > 0)
          standIn.store.delete(
            s.providerConfigKey,
            s.connectionId,
            s.model,
            deletes.map((id) => ({ id })),
          );
        // Re-saving a deleted record brings it back to life, as Nango does.
        const revived = standIn.store
          .snapshot(s.providerConfigKey, s.connectionId, s.model)
          .find((r) => r.deletedAt !== null && random() < 0.3);
        if (revived)
          standIn.store.save(s.providerConfigKey, s.connectionId, s.model, [makeTicket(Number(revived.id.slice(2)), { title: 'revived' })]);
      }
    },
    violations: [],
    async probe() {
      const found = await probeCursors(db, standIn);
      lab.violations.push(...found);
      return found.length;
    },
    diff: () => diffAgainstSource(db, standIn, options.streams),
    async converge() {
      let last = '';
      const t0 = Date.now();
      for (let attempt = 1; attempt <= 4; attempt++) {
        const groups = syncArgs();
        let ok = true;
        for (const args of groups) {
          const proc = spawn(`final-sync-${attempt}`, args, { REDIS_URL: undefined, LOG_LEVEL: 'info' });
          const exit = await proc.done;
          if (exit.code !== 0) {
            ok = false;
            last = `final sync exit ${exit.code ?? exit.signal}: ${(crashSigns(proc.output()) ?? proc.output().trim().split('\n').slice(-3).join(' | ')).slice(0, 400)}`;
          }
        }
        if (ok) {
          if (process.env.FAULTS_VERBOSE) suite.log(`converged in ${Date.now() - t0} ms`);
          return null;
        }
        await sleep(500);
      }
      return last;
    },
    async terminateBackends() {
      const { rows } = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM (
          SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${databaseName} AND usename = ${suite.role}
        ) t`.execute(db);
      return rows[0]?.n ?? 0;
    },
    async pageTransactionInFlight() {
      const { rows } = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = ${databaseName} AND usename = ${suite.role} AND xact_start IS NOT NULL
          AND (state = 'idle in transaction' OR query ~* '^\\s*(insert|update|delete|copy|with)')`.execute(db);
      return (rows[0]?.n ?? 0) > 0;
    },
    recordsInFlight: (since) => standIn.requests.slice(since).some((r) => r.path.startsWith('/records') && r.status === 0),
    async close() {
      undefer();
      for (const proc of mine) await proc.kill();
      await db.destroy().catch(() => undefined);
      await standIn.close();
      if (options.redisUrl === undefined) await deleteKeys(redisUrl, [`${queuePrefix}:*`, `${keyPrefix}*`, `*${queuePrefix}*`]);
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
      nextId = new Map();
    },
  };
  const undefer = suite.deferCleanup(() => lab.close());
  return lab;
}

async function deleteKeys(url: string, patterns: string[]): Promise<void> {
  const redis = new Redis(url);
  try {
    await deleteRedisKeys(redis, patterns);
  } finally {
    await redis.quit();
  }
}

/** Polls `check` until it returns true; false after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 10): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(intervalMs);
  }
  return false;
}
