import { cpus, totalmem } from 'node:os';
import { sql } from 'kysely';
import { Secret } from '../src/config/secret.js';
import { createLogger } from '../src/log/create-logger.js';
import { createNangoClient } from '../src/nango/nango-client.js';
import type { NangoRecord } from '../src/nango/nango-record.js';
import { openGate } from '../src/ratelimit/request-gate.js';
import { resolveModelFields } from '../src/replicate/resolve-model-fields.js';
import { renderRecord } from '../src/stand-in/render-record.js';
import { ensureModelTable } from '../src/store/ensure-model-table.js';
import type { BenchArgs, Scenario } from './bench-args.js';
import { createBenchDatabase, type BenchDatabase } from './bench-database.js';
import { figure, type Figure, median, withRatios } from './bench-report.js';
import { BENCH_STREAM, type BenchStandIn, startBenchStandIn } from './bench-stand-in.js';
import { type CompiledChildren, compileChildren } from './compile-children.js';
import { copyCeiling } from './copy-ceiling.js';
import { limiterThroughput } from './limiter-bench.js';
import { naivePeer } from './naive-peer.js';
import { type ProductSample, productInsert, productUpdate } from './product-scenarios.js';
import { type RateLimitedSample, rateLimitedRun } from './rate-limited-run.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const LIMITER_CALLERS = 8;
/**
 * V8 grows its heap to about four times what is live after a full GC unless capped; with the cap the same
 * sync stays far lower at a small cost in GC time. Measured as its own row at the largest page size.
 */
const HEAP_CAP_FLAG = '--max-old-space-size=192';
const RATE_LIMITED_PAGE_SIZE = 1000;

/** Everything one `npm run bench` measured; written as JSON. */
export interface BenchResult {
  date: string;
  machine: Record<string, string | number>;
  args: BenchArgs;
  figures: Figure[];
  limiter: { processes: number; callersPerProcess: number; runsPerSecond: number[]; medianPerSecond: number }[];
  rateLimited: (RateLimitedSample & { run: number })[] | null;
}

type Log = (line: string) => void;

export async function runBench(args: BenchArgs, log: Log): Promise<BenchResult> {
  log('compiling the child processes');
  const children = await compileChildren();
  const database = await createBenchDatabase();
  try {
    const result: BenchResult = { date: new Date().toISOString(), machine: await machine(database), args, figures: [], limiter: [], rateLimited: null };
    const writes: Scenario[] = ['ceiling', 'insert', 'update', 'naive'];
    if (writes.some((s) => args.scenarios.has(s))) result.figures = await writeScenarios(database, children, args, log);
    if (args.scenarios.has('limiter')) result.limiter = await limiterScenarios(children, args, log);
    if (args.scenarios.has('rate-limited')) result.rateLimited = await rateLimitedScenario(database, children, args, log);
    return result;
  } finally {
    await database.drop();
  }
}

async function writeScenarios(database: BenchDatabase, children: CompiledChildren, args: BenchArgs, log: Log): Promise<Figure[]> {
  log(`seeding the stand-in with ${args.records} GitHub issues`);
  const bench = await startBenchStandIn({ records: args.records });
  try {
    const ctx = { database, bench, syncChild: children.syncChild };
    const has = (s: Scenario) => args.scenarios.has(s);
    const figures: Figure[] = has('ceiling') ? [await ceilingScenario(database, bench, args, log)] : [];
    for (const pageSize of has('insert') ? args.pageSizes : []) {
      figures.push(productFigure(`insert, page ${pageSize}`, pageSize, await repeat(args.runs, `insert page ${pageSize}`, log, () => productInsert(ctx, pageSize))));
    }
    if (has('insert')) {
      const largest = Math.max(...args.pageSizes);
      const samples = await repeat(args.runs, `insert page ${largest}, ${HEAP_CAP_FLAG}`, log, () => productInsert(ctx, largest, [HEAP_CAP_FLAG]));
      figures.push(productFigure(`insert, page ${largest}, node ${HEAP_CAP_FLAG}`, largest, samples));
    }
    let round = 0;
    for (const pageSize of has('update') ? args.pageSizes : []) {
      const samples = await repeat(args.runs, `update page ${pageSize}`, log, () => productUpdate(ctx, pageSize, ++round));
      figures.push(productFigure(`update, page ${pageSize}`, pageSize, samples));
    }
    const naive = has('naive') ? await naiveScenario(database, bench, args, log) : undefined;
    const ceiling = figures.find((f) => f.scenario.startsWith('ceiling'));
    return withRatios(naive ? [...figures, naive] : figures, ceiling, naive);
  } finally {
    await bench.close();
  }
}

async function ceilingScenario(database: BenchDatabase, bench: BenchStandIn, args: BenchArgs, log: Log): Promise<Figure> {
  const connection = bench.standIn.store.findConnection(BENCH_STREAM.providerConfigKey, BENCH_STREAM.connectionId);
  if (!connection) throw new Error('the bench connection is missing from the stand-in');
  const records = bench.standIn.store.orderedRecords(connection, BENCH_STREAM.model).map((row) => renderRecord(row) as NangoRecord);
  const samples = await repeat(args.runs, 'ceiling (COPY)', log, async () => {
    const layout = await emptyTable(database, bench, 'ceiling');
    await database.checkpoint();
    return { elapsedMs: await copyCeiling(database.url, layout, BENCH_STREAM, records) };
  });
  return figure('ceiling: COPY', records.length, samples.map((s) => s.elapsedMs));
}

async function naiveScenario(database: BenchDatabase, bench: BenchStandIn, args: BenchArgs, log: Log): Promise<Figure> {
  const sample = Math.min(args.naiveRecords, args.records);
  const samples = await repeat(args.runs, `naive peer (${sample} records)`, log, async () => {
    const layout = await emptyTable(database, bench, 'naive');
    await database.checkpoint();
    return naivePeer({ databaseUrl: database.url, nangoHost: bench.standIn.url, secretKey: bench.secretKey, stream: BENCH_STREAM, layout, sample });
  });
  return figure(`naive peer (extrapolated from ${sample.toLocaleString('en-US')})`, sample, samples.map((s) => s.elapsedMs));
}

/** A fresh table of the product's layout in `schema`, made by the product's own DDL. */
async function emptyTable(database: BenchDatabase, bench: BenchStandIn, schema: string) {
  await database.reset([schema]);
  const logger = createLogger({ level: 'silent' });
  const nango = createNangoClient(
    { fetch, gate: openGate, logger },
    { host: bench.standIn.url, secretKey: new Secret(bench.secretKey), requestTimeoutMs: 30_000, retries: 2, retryMinDelayMs: 100, retryMaxDelayMs: 1000 },
  );
  const fields = await resolveModelFields(nango, BENCH_STREAM);
  return ensureModelTable({ db: database.db, logger }, { schema, model: BENCH_STREAM.model, fields });
}

function productFigure(scenario: string, pageSize: number, samples: ProductSample[]): Figure {
  const records = samples[0]?.records ?? 0;
  return figure(scenario, records, samples.map((s) => s.elapsedMs), {
    recordRequests: median(samples.map((s) => s.recordRequests)),
    allRequests: median(samples.map((s) => s.requests)),
    minimumRequests: Math.ceil(records / pageSize),
    peakRssBytes: Math.max(...samples.map((s) => s.maxRssBytes)),
  });
}

async function limiterScenarios(children: CompiledChildren, args: BenchArgs, log: Log): Promise<BenchResult['limiter']> {
  const results: BenchResult['limiter'] = [];
  for (const processes of [1, 4]) {
    const runs = await repeat(
      args.runs,
      `limiter, ${processes} process(es)`,
      log,
      async () => ({ perSecond: await limiterThroughput({ childPath: children.limiterChild, redisUrl: REDIS_URL, processes, callers: LIMITER_CALLERS, durationMs: args.limiterMs }) }),
      (r) => `${Math.round(r.perSecond)} acquisitions/s`,
    );
    const runsPerSecond = runs.map((r) => Math.round(r.perSecond));
    results.push({ processes, callersPerProcess: LIMITER_CALLERS, runsPerSecond, medianPerSecond: median(runsPerSecond) });
  }
  return results;
}

async function rateLimitedScenario(database: BenchDatabase, children: CompiledChildren, args: BenchArgs, log: Log): Promise<BenchResult['rateLimited']> {
  const options = { records: args.rateRecords, pageSize: RATE_LIMITED_PAGE_SIZE, requestsPerMinute: args.rateRpm, redisUrl: REDIS_URL, syncChild: children.syncChild };
  const samples = await repeat(args.runs, `rate-limited (${args.rateRecords} records, ${args.rateRpm}/min)`, log, () => rateLimitedRun(database, options));
  return samples.map((s, i) => ({ ...s, run: i + 1 }));
}

/** Runs `fn` `runs` times in sequence (bounded), logging each run. */
async function repeat<T>(runs: number, label: string, log: Log, fn: () => Promise<T>, describe: (sample: T) => string = seconds): Promise<T[]> {
  const samples: T[] = [];
  for (let run = 1; run <= runs; run++) {
    const sample = await fn();
    log(`${label}: run ${run}/${runs} ${describe(sample)}`);
    samples.push(sample);
  }
  return samples;
}

function seconds(sample: unknown): string {
  return `${((sample as { elapsedMs: number }).elapsedMs / 1000).toFixed(2)} s`;
}

async function machine(database: BenchDatabase): Promise<Record<string, string | number>> {
  const { rows } = await sql<{ version: string }>`SELECT version()`.execute(database.db);
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    postgres: rows[0]?.version ?? 'unknown',
  };
}
