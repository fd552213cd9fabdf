import { resolve } from 'node:path';
import { cpus, totalmem } from 'node:os';
import { sql } from 'kysely';
import type { BenchArgs, Scenario } from './bench-args.js';
import { createBenchDatabase, type BenchDatabase } from './bench-database.js';
import { cpuFigures, figure, type Figure, median, withRatios } from './bench-report.js';
import { type BenchRun, formatSeconds, repeat } from './bench-run.js';
import { type BenchStandIn, startBenchStandIn } from './bench-stand-in.js';
import { compileChildren } from './compile-children.js';
import { limiterThroughput } from './limiter-bench.js';
import { type ProductSample, productInsert, productReread, productUpdate } from './product-scenarios.js';
import { type RateLimitedSample, rateLimitedRun } from './rate-limited-run.js';
import { type CeilingSample, ceilingFigure, ceilingRecords, ceilingRun, naiveScenario } from './reference-scenarios.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const LIMITER_CALLERS = 8;
const RATE_LIMITED_PAGE_SIZE = 1000;
/**
 * V8 grows its heap to about four times what is live after a full GC unless capped; with the cap the same
 * sync stays far lower at a small cost in GC time. Measured as its own row at the largest page size.
 */
const HEAP_CAP_FLAG = '--max-old-space-size=192';

/** Everything one `npm run bench` measured; written as JSON. */
export interface BenchResult {
  date: string;
  machine: Record<string, string | number>;
  args: BenchArgs;
  figures: Figure[];
  limiter: { processes: number; callersPerProcess: number; runsPerSecond: number[]; medianPerSecond: number }[];
  rateLimited: (RateLimitedSample & { run: number })[] | null;
}

/** Runs the scenarios `args` asks for in a database of its own, dropped at the end whatever happens. */
export async function runBench(args: BenchArgs, log: (line: string) => void, signal?: AbortSignal): Promise<BenchResult> {
  log('compiling the child processes');
  const children = await compileChildren();
  const database = await createBenchDatabase();
  const run: BenchRun = { args, log, signal, children, database };
  try {
    const result: BenchResult = {
      date: new Date().toISOString(),
      machine: await machine(database),
      args,
      figures: [],
      limiter: [],
      rateLimited: null,
    };
    const writes: Scenario[] = ['ceiling', 'insert', 'update', 'reread', 'naive'];
    if (writes.some((s) => args.scenarios.has(s))) result.figures = await writeScenarios(run);
    if (args.scenarios.has('limiter')) result.limiter = await limiterScenarios(run);
    if (args.scenarios.has('rate-limited')) result.rateLimited = await rateLimitedScenario(run);
    return result;
  } finally {
    await database.drop();
  }
}

async function writeScenarios(run: BenchRun): Promise<Figure[]> {
  const { args } = run;
  run.log(`seeding the stand-in with ${args.records} GitHub issues`);
  const bench = await startBenchStandIn({ records: args.records });
  try {
    const cpuProfile = args.cpuProf === null ? null : { dir: resolve(args.cpuProf), log: run.log, runs: new Map<string, number>() };
    const ctx = { database: run.database, bench, syncChild: run.children.syncChild, fillfactor: args.fillfactor, cpuProfile };
    const has = (s: Scenario) => args.scenarios.has(s);
    const ceiling = has('ceiling') ? new PairedCeiling(run, bench) : null;
    const figures: Figure[] = [];
    if (ceiling !== null && !has('insert') && !has('update')) await repeat(run, 'ceiling (COPY)', () => ceiling.run());
    // Each product run follows a ceiling run of its own (see Figure.ceilingRunsMs).
    const paired = (label: string, product: () => Promise<ProductSample>) =>
      repeat(
        run,
        label,
        async (): Promise<PairedSample> => {
          const ceilingMs = ceiling === null ? null : (await ceiling.run()).elapsedMs;
          return { ...(await product()), ceilingMs };
        },
        describePaired,
      );
    for (const pageSize of has('insert') ? args.pageSizes : []) {
      figures.push(
        productFigure(`insert, page ${pageSize}`, pageSize, await paired(`insert page ${pageSize}`, () => productInsert(ctx, pageSize))),
      );
    }
    if (has('insert')) {
      const largest = Math.max(...args.pageSizes);
      const samples = await paired(`insert page ${largest}, ${HEAP_CAP_FLAG}`, () => productInsert(ctx, largest, [HEAP_CAP_FLAG]));
      figures.push(productFigure(`insert, page ${largest}, node ${HEAP_CAP_FLAG}`, largest, samples));
    }
    let round = 0;
    for (const pageSize of has('update') ? args.pageSizes : []) {
      const samples = await paired(`update page ${pageSize}`, () => productUpdate(ctx, pageSize, ++round));
      figures.push(productFigure(`update, page ${pageSize}`, pageSize, samples));
    }
    for (const pageSize of has('reread') ? args.pageSizes : []) {
      const samples = await paired(`re-read unchanged, page ${pageSize}`, () => productReread(ctx, pageSize));
      figures.push(productFigure(`re-read unchanged, page ${pageSize}`, pageSize, samples));
    }
    const naive = has('naive') ? await naiveScenario(run, bench) : undefined;
    const yardstick = ceiling?.figure();
    return withRatios([...(yardstick ? [yardstick] : []), ...figures, ...(naive ? [naive] : [])], yardstick, naive);
  } finally {
    await bench.close();
  }
}

/** A product run and the elapsed ms of the ceiling run just before it (null when the ceiling is not measured). */
type PairedSample = ProductSample & { ceilingMs: number | null };

function describePaired(sample: PairedSample): string {
  const own = formatSeconds(sample.elapsedMs);
  return sample.ceilingMs === null ? own : `${own}, its ceiling ${formatSeconds(sample.ceilingMs)}`;
}

/**
 * The ceiling, run on demand, and every run of it made so far: its own row of the table. The rows are rendered afresh
 * for each run and dropped after it, so the bench process (which serves the product's syncs as the stand-in) does not
 * carry them through the product's runs. They are left to V8's own collections: a forced one (`gc()`) right before
 * a timed sync cost the stand-in about 3 s more CPU during that sync (measured: 3.99 s against 0.92 to 1.03 s).
 */
class PairedCeiling {
  readonly #run: BenchRun;
  readonly #bench: BenchStandIn;
  readonly #samples: CeilingSample[] = [];
  #records = 0;

  constructor(run: BenchRun, bench: BenchStandIn) {
    this.#run = run;
    this.#bench = bench;
  }

  async run(): Promise<CeilingSample> {
    const records = ceilingRecords(this.#bench);
    const sample = await ceilingRun(this.#run, this.#bench, records);
    this.#records = records.length;
    this.#samples.push(sample);
    return sample;
  }

  figure(): Figure {
    return ceilingFigure(this.#records, this.#samples);
  }
}

function productFigure(scenario: string, pageSize: number, samples: PairedSample[]): Figure {
  const records = samples[0]?.records ?? 0;
  const ceilingMs = samples.map((s) => s.ceilingMs);
  return figure(
    scenario,
    records,
    samples.map((s) => s.elapsedMs),
    {
      ceilingRunsMs: ceilingMs.every((ms): ms is number => ms !== null) ? ceilingMs.map(Math.round) : null,
      recordRequests: median(samples.map((s) => s.recordRequests)),
      allRequests: median(samples.map((s) => s.requests)),
      minimumRequests: Math.ceil(records / pageSize),
      peakRssBytes: Math.max(...samples.map((s) => s.maxRssBytes)),
      ...cpuFigures(samples),
      rowsWritten: median(samples.map((s) => s.rowsWritten)),
      walBytes: median(samples.map((s) => s.walBytes)),
    },
  );
}

async function limiterScenarios(run: BenchRun): Promise<BenchResult['limiter']> {
  const results: BenchResult['limiter'] = [];
  for (const processes of [1, 4]) {
    const options = {
      childPath: run.children.limiterChild,
      redisUrl: REDIS_URL,
      processes,
      callers: LIMITER_CALLERS,
      durationMs: run.args.limiterMs,
    };
    const runs = await repeat(
      run,
      `limiter, ${processes} process(es)`,
      async () => ({ perSecond: await limiterThroughput(options) }),
      (r) => `${Math.round(r.perSecond)} acquisitions/s`,
    );
    const runsPerSecond = runs.map((r) => Math.round(r.perSecond));
    results.push({ processes, callersPerProcess: LIMITER_CALLERS, runsPerSecond, medianPerSecond: median(runsPerSecond) });
  }
  return results;
}

async function rateLimitedScenario(run: BenchRun): Promise<BenchResult['rateLimited']> {
  const { args } = run;
  const options = {
    records: args.rateRecords,
    pageSize: RATE_LIMITED_PAGE_SIZE,
    requestsPerMinute: args.rateRpm,
    redisUrl: REDIS_URL,
    syncChild: run.children.syncChild,
    fillfactor: args.fillfactor,
  };
  const samples = await repeat(run, `rate-limited (${args.rateRecords} records, ${args.rateRpm}/min)`, () =>
    rateLimitedRun(run.database, options),
  );
  return samples.map((s, i) => ({ ...s, run: i + 1 }));
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
