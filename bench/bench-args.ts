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
  /** Also run the rate-limited scenario (minutes by nature). */
  rateLimited: boolean;
  /** Records of the rate-limited scenario. Default 300,000. */
  rateRecords: number;
  /** Requests per minute the stand-in enforces in the rate-limited scenario. Default 600. */
  rateRpm: number;
  /** Only the rate-limited scenario. */
  rateLimitedOnly: boolean;
  /** Duration of each limiter measurement, ms. Default 3000. */
  limiterMs: number;
  /** Which write scenarios to run. Default all: ceiling, insert, update, naive, limiter. */
  scenarios: ReadonlySet<Scenario>;
  /** Where to write the JSON. Default bench/results/<date>.json. */
  out: string | null;
  /** Print the usage and do nothing else. */
  help: boolean;
}

export const SCENARIOS = ['ceiling', 'insert', 'update', 'naive', 'limiter'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const USAGE = `npm run bench -- [--records N] [--runs K] [--page-sizes 10000,1000] [--naive-records N]
  [--scenarios ceiling,insert,update,naive,limiter]
  [--rate-limited] [--rate-limited-only] [--rate-records N] [--rate-rpm N] [--limiter-ms MS] [--out FILE]`;

export function parseBenchArgs(argv: string[]): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      records: { type: 'string', default: '200000' },
      runs: { type: 'string', default: '3' },
      'page-sizes': { type: 'string', default: '10000,1000' },
      'naive-records': { type: 'string', default: '20000' },
      'rate-limited': { type: 'boolean', default: false },
      'rate-limited-only': { type: 'boolean', default: false },
      'rate-records': { type: 'string', default: '300000' },
      'rate-rpm': { type: 'string', default: '600' },
      'limiter-ms': { type: 'string', default: '3000' },
      scenarios: { type: 'string', default: SCENARIOS.join(',') },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  return {
    records: positive('records', values.records),
    runs: positive('runs', values.runs),
    pageSizes: values['page-sizes'].split(',').map((size) => positive('page-sizes', size, 10_000)),
    naiveRecords: positive('naive-records', values['naive-records']),
    rateLimited: values['rate-limited'] || values['rate-limited-only'],
    rateLimitedOnly: values['rate-limited-only'],
    rateRecords: positive('rate-records', values['rate-records']),
    rateRpm: positive('rate-rpm', values['rate-rpm']),
    limiterMs: positive('limiter-ms', values['limiter-ms']),
    scenarios: new Set(values.scenarios.split(',').map(scenario)),
    out: values.out ?? null,
    help: values.help,
  };
}

function positive(name: string, text: string, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max) throw new Error(`--${name} must be an integer from 1 to ${max}, got "${text}"\n${USAGE}`);
  return value;
}

function scenario(name: string): Scenario {
  const known = SCENARIOS.find((s) => s === name);
  if (known === undefined) throw new Error(`--scenarios: unknown scenario "${name}"; known: ${SCENARIOS.join(', ')}\n${USAGE}`);
  return known;
}
