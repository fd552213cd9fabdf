import { parseArgs } from 'node:util';

/** What `npm run bench -- ...` asked for. */
export interface BenchArgs {
  /** Records in the stand-in for the ceiling, insert and update scenarios. Default 200,000. */
  records: number;
  /** Runs per figure; each figure is the median. Default 3. */
  runs: number;
  /** Page sizes of the insert and update scenarios. Default 10000 and 1000. */
  pageSizes: number[];
  /** Records the naive peer writes before its rate is extrapolated. Default 20,000. */
  naiveRecords: number;
  /** Records of the rate-limited scenario. Default 300,000. */
  rateRecords: number;
  /** Requests per minute the stand-in enforces in the rate-limited scenario. Default 600. */
  rateRpm: number;
  /** Duration of each limiter measurement, ms. Default 3000. */
  limiterMs: number;
  /** Fillfactor of every table the bench writes, the product's and the ceiling's (the product's `target.fillfactor`). Default 100. */
  fillfactor: number;
  /** Which scenarios to run: `--scenarios` (default all) minus `--skip`. */
  scenarios: ReadonlySet<Scenario>;
  /** Where to write the JSON. Default bench/results/<date>.json. */
  out: string | null;
  /**
   * A folder to write a V8 CPU profile of every timed product sync into (`node --cpu-prof`), one subfolder per run,
   * each summarised in the log; null: no profiling. Profiled runs are a few percent slower.
   */
  cpuProf: string | null;
  /** Print the usage and do nothing else. */
  help: boolean;
}

export const SCENARIOS = ['ceiling', 'insert', 'update', 'reread', 'naive', 'limiter', 'rate-limited'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const USAGE = `npm run bench -- [--records N] [--runs K] [--page-sizes 10000,1000] [--naive-records N]
  [--scenarios LIST] [--skip LIST] [--rate-records N] [--rate-rpm N] [--limiter-ms MS] [--fillfactor N] [--out FILE]
  [--cpu-prof DIR]
LIST: comma-separated, among ${SCENARIOS.join(', ')} (default: all)
  With insert or update, the ceiling runs once before each of their runs, and "x ceiling" is the median of the
  runs' ratios to their own ceiling run; alone, it runs --runs times.
  reread: the whole stream read again (full) with nothing changed: rows written (0) and WAL, against update.
--fillfactor: 10 to 100, of the product's tables and the ceiling's alike (default 100, Postgres' own)
--cpu-prof: a CPU profile of every timed insert and update sync in DIR/<scenario>-<run>/, open it in Chrome
  DevTools; the log shows each one's top functions by self time. Profiled runs are a few percent slower.`;

export function parseBenchArgs(argv: string[]): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      records: { type: 'string', default: '200000' },
      runs: { type: 'string', default: '3' },
      'page-sizes': { type: 'string', default: '10000,1000' },
      'naive-records': { type: 'string', default: '20000' },
      skip: { type: 'string', default: '' },
      'rate-records': { type: 'string', default: '300000' },
      'rate-rpm': { type: 'string', default: '600' },
      'limiter-ms': { type: 'string', default: '3000' },
      fillfactor: { type: 'string', default: '100' },
      scenarios: { type: 'string', default: SCENARIOS.join(',') },
      out: { type: 'string' },
      'cpu-prof': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  return {
    records: positive('records', values.records),
    runs: positive('runs', values.runs),
    pageSizes: values['page-sizes'].split(',').map((size) => positive('page-sizes', size, 10_000)),
    naiveRecords: positive('naive-records', values['naive-records']),
    rateRecords: positive('rate-records', values['rate-records']),
    rateRpm: positive('rate-rpm', values['rate-rpm']),
    limiterMs: positive('limiter-ms', values['limiter-ms']),
    fillfactor: within('fillfactor', values.fillfactor, 10, 100),
    scenarios: chosen(values.scenarios, values.skip),
    out: values.out ?? null,
    cpuProf: values['cpu-prof'] ?? null,
    help: values.help,
  };
}

function positive(name: string, text: string, max = Number.MAX_SAFE_INTEGER): number {
  return within(name, text, 1, max);
}

function within(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`--${name} must be an integer from ${min} to ${max}, got "${text}"\n${USAGE}`);
  return value;
}

/** LIST: comma-separated names among SCENARIOS. */
function chosen(wanted: string, skipped: string): ReadonlySet<Scenario> {
  const skip = new Set(skipped === '' ? [] : skipped.split(',').map(scenario));
  return new Set(
    wanted
      .split(',')
      .map(scenario)
      .filter((s) => !skip.has(s)),
  );
}

function scenario(name: string): Scenario {
  const known = SCENARIOS.find((s) => s === name);
  if (known === undefined) throw new Error(`--scenarios: unknown scenario "${name}"; known: ${SCENARIOS.join(', ')}\n${USAGE}`);
  return known;
}
