import { mkdirSync } from 'node:fs';
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

async function timedSync(ctx: ProductContext, label: string, pageSize: number, nodeFlags: ReadonlyArray<string> = []): Promise<ProductSample> {
  const profileDir = ctx.cpuProfile === null ? null : profileFolder(ctx.cpuProfile, label);
  const flags = profileDir === null ? nodeFlags : [...nodeFlags, '--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  const before = ctx.bench.requestCounts();
  const benchCpu = process.cpuUsage();
  const result = await runSyncChild(ctx.syncChild, childConfig(ctx, pageSize), flags);
  const benchCpuMs = cpuMsSince(benchCpu);
  const after = ctx.bench.requestCounts();
  expectAll(ctx, result, `sync at page size ${pageSize}`);
  if (profileDir !== null) ctx.cpuProfile?.log(`CPU profile in ${profileDir}, top functions by self time:\n${formatSelfTimes(topSelfTimes(profileDir, PROFILE_TOP))}`);
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
  };
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
export function expectAll(ctx: Pick<ProductContext, 'bench'>, result: SyncChildResult, what: string): void {
  if (!result.complete || result.records !== ctx.bench.records || result.upserted !== ctx.bench.records) {
    throw new Error(`${what}: expected ${ctx.bench.records} records upserted to the end, got ${JSON.stringify(result)}`);
  }
}
