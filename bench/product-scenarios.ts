import type { BenchDatabase } from './bench-database.js';
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
  cpuMs: number;
  /** CPU time of the local Postgres processes meanwhile, ms; null where it cannot be read. */
  postgresCpuMs: number | null;
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
}

/** The whole stream into an empty table, at `pageSize`, the sync process started with `nodeFlags`. */
export async function productInsert(ctx: ProductContext, pageSize: number, nodeFlags: ReadonlyArray<string> = []): Promise<ProductSample> {
  await ctx.database.reset([PRODUCT_SCHEMA]);
  await ctx.database.checkpoint();
  return timedSync(ctx, pageSize, nodeFlags);
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
  return timedSync(ctx, pageSize);
}

async function timedSync(ctx: ProductContext, pageSize: number, nodeFlags: ReadonlyArray<string> = []): Promise<ProductSample> {
  const before = ctx.bench.requestCounts();
  const result = await runSyncChild(ctx.syncChild, childConfig(ctx, pageSize), nodeFlags);
  const after = ctx.bench.requestCounts();
  expectAll(ctx, result, `sync at page size ${pageSize}`);
  return {
    elapsedMs: result.elapsedMs,
    records: result.records,
    maxRssBytes: result.maxRssBytes,
    cpuMs: result.cpuMs,
    postgresCpuMs: result.postgresCpuMs,
    requests: after.all - before.all,
    recordRequests: after.records - before.records,
    tooManyRequests: after.tooManyRequests - before.tooManyRequests,
  };
}

export function childConfig(ctx: Omit<ProductContext, 'syncChild'>, pageSize: number): SyncChildConfig {
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

/** A scenario that did not replicate the whole stream measured something else: fail loudly. */
export function expectAll(ctx: Pick<ProductContext, 'bench'>, result: SyncChildResult, what: string): void {
  if (!result.complete || result.records !== ctx.bench.records || result.upserted !== ctx.bench.records) {
    throw new Error(`${what}: expected ${ctx.bench.records} records upserted to the end, got ${JSON.stringify(result)}`);
  }
}
