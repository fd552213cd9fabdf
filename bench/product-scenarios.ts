import { mkdirSync } from 'node:fs';
import { sql } from 'kysely';
import { join } from 'node:path';
import type { BenchDatabase } from './bench-database.js';
import { cpuMsSince } from './cpu-ms-since.js';
import { formatSelfTimes, topSelfTimes } from './cpu-profile-summary.js';
import { BENCH_STREAM, type BenchStandIn } from './bench-stand-in.js';
import { runSyncChild } from './run-sync-child.js';
import type { SyncChildConfig, SyncChildResult } from './sync-child.js';

/** Schema of the product's tables in the bench database. */
export const PRODUCT_SCHEMA = 'nango';

/** One timed product sync. */
export interface ProductSample {
  elapsedMs: number;
  records: number;
  maxRssBytes: number;
  /** CPU time of the sync process, ms. */
  syncCpuMs: number;
  /** CPU time of the local Postgres processes meanwhile, ms; null where it cannot be read. */
  postgresCpuMs: number | null;
  /** CPU time of the bench process meanwhile (the stand-in serving the sync), ms. */
  benchCpuMs: number;
  /** Requests the sync sent: every one, and `GET /records` only. */
  requests: number;
  recordRequests: number;
  tooManyRequests: number;
  /** Rows the sync wrote (upserted). */
  rowsWritten: number;
  /** WAL the server wrote over the sync (`pg_current_wal_lsn()` before and after; the whole server's), bytes. */
  walBytes: number;
}

export interface ProductContext {
  database: BenchDatabase;
  bench: BenchStandIn;
  /** The compiled sync child (see compile-children.ts). */
  syncChild: string;
  /** Fillfactor of the product's table (`--fillfactor`). */
  fillfactor: number;
  /** Where timed syncs write their CPU profiles (`--cpu-prof`), and where their summaries go; null: not profiled. */
  cpuProfile: CpuProfiling | null;
}

/** `--cpu-prof`: the folder of the profiles, the bench's log, and how many runs of each scenario were profiled. */
export interface CpuProfiling {
  dir: string;
  log: (line: string) => void;
  runs: Map<string, number>;
}

/** Functions listed per profiled run in the log. */
const PROFILE_TOP = 12;

/** The whole stream into an empty table, at `pageSize`, the sync process started with `nodeFlags`. */
export async function productInsert(ctx: ProductContext, pageSize: number, nodeFlags: ReadonlyArray<string> = []): Promise<ProductSample> {
  await ctx.database.reset([PRODUCT_SCHEMA]);
  await ctx.database.checkpoint();
  return timedSync(ctx, `insert-page${pageSize}${nodeFlags.length > 0 ? '-node-flags' : ''}`, pageSize, nodeFlags);
}

/**
 * The stream again after every record changed in the source: an untimed first sync fills the table, every
 * record is saved anew in the stand-in (`round` picks the new values), then the timed sync reads them all.
 */
export async function productUpdate(ctx: ProductContext, pageSize: number, round: number): Promise<ProductSample> {
  await ctx.database.reset([PRODUCT_SCHEMA]);
  const first = await runSyncChild(ctx.syncChild, childConfig(ctx, 10_000));
  expectAll(ctx, first, 'first sync before the update');
  ctx.bench.changeAll(round);
  await ctx.database.checkpoint();
  return timedSync(ctx, `update-page${pageSize}`, pageSize);
}

/**
 * The whole stream read again with nothing changed in the source (a merge backfill, the safety net): an untimed
 * first sync fills the table, then the timed full re-read. Unchanged records are not written: 0 rows, little WAL.
 */
export async function productReread(ctx: ProductContext, pageSize: number): Promise<ProductSample> {
  await ctx.database.reset([PRODUCT_SCHEMA]);
  const first = await runSyncChild(ctx.syncChild, childConfig(ctx, 10_000));
  expectAll(ctx, first, 'first sync before the re-read');
  await ctx.database.checkpoint();
  return timedSync(ctx, `reread-page${pageSize}`, pageSize, [], { full: true, expectedRows: 0 });
}

async function timedSync(
  ctx: ProductContext,
  label: string,
  pageSize: number,
  nodeFlags: ReadonlyArray<string> = [],
  options: { full?: boolean; expectedRows?: number } = {},
): Promise<ProductSample> {
  const profileDir = ctx.cpuProfile === null ? null : profileFolder(ctx.cpuProfile, label);
  const flags = profileDir === null ? nodeFlags : [...nodeFlags, '--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  const before = ctx.bench.requestCounts();
  const benchCpu = process.cpuUsage();
  const walBefore = await walPosition(ctx.database);
  const result = await runSyncChild(ctx.syncChild, { ...childConfig(ctx, pageSize), full: options.full }, flags);
  const benchCpuMs = cpuMsSince(benchCpu);
  const walBytes = await walSince(ctx.database, walBefore);
  const after = ctx.bench.requestCounts();
  expectAll(ctx, result, `sync at page size ${pageSize}`, options.expectedRows);
  if (profileDir !== null)
    ctx.cpuProfile?.log(
      `CPU profile in ${profileDir}, top functions by self time:\n${formatSelfTimes(topSelfTimes(profileDir, PROFILE_TOP))}`,
    );
  return {
    elapsedMs: result.elapsedMs,
    records: result.records,
    maxRssBytes: result.maxRssBytes,
    syncCpuMs: result.cpuMs,
    postgresCpuMs: result.postgresCpuMs,
    benchCpuMs,
    requests: after.all - before.all,
    recordRequests: after.records - before.records,
    tooManyRequests: after.tooManyRequests - before.tooManyRequests,
    rowsWritten: result.upserted,
    walBytes,
  };
}

async function walPosition(database: BenchDatabase): Promise<string> {
  const { rows } = await sql<{ lsn: string }>`SELECT pg_current_wal_lsn()::text AS lsn`.execute(database.db);
  return rows[0]?.lsn ?? '0/0';
}

async function walSince(database: BenchDatabase, before: string): Promise<number> {
  const { rows } = await sql<{ bytes: string }>`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), ${before}::pg_lsn)::text AS bytes`.execute(
    database.db,
  );
  return Number(rows[0]?.bytes ?? 0);
}

export function childConfig(ctx: Pick<ProductContext, 'database' | 'bench' | 'fillfactor'>, pageSize: number): SyncChildConfig {
  return {
    databaseUrl: ctx.database.url,
    nangoHost: ctx.bench.standIn.url,
    secretKey: ctx.bench.secretKey,
    stream: BENCH_STREAM,
    schema: PRODUCT_SCHEMA,
    pageSize,
    fillfactor: ctx.fillfactor,
  };
}

/** A new folder for the next profiled run of `label`: `<dir>/<label>-<n>`. */
function profileFolder(profiling: CpuProfiling, label: string): string {
  const run = (profiling.runs.get(label) ?? 0) + 1;
  profiling.runs.set(label, run);
  const dir = join(profiling.dir, `${label}-${run}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A scenario that did not replicate the whole stream measured something else: fail loudly. */
export function expectAll(ctx: Pick<ProductContext, 'bench'>, result: SyncChildResult, what: string, rows = ctx.bench.records): void {
  if (!result.complete || result.records !== ctx.bench.records || result.upserted !== rows) {
    throw new Error(`${what}: expected ${ctx.bench.records} records read to the end, ${rows} upserted, got ${JSON.stringify(result)}`);
  }
}
