import { parseArgs } from 'node:util';
import ms from 'ms';

/** One `--seed` value: an integration with `connections` connections of `records` sample GitHub issues each. */
export interface SeedSpec {
  integration: string;
  connections: number;
  records: number;
}

/** What `npm run stand-in -- ...` asked for. */
export interface StandInArgs {
  /** Port to listen on; 0 picks a free one. Default 3003. */
  port: number;
  /** Interface to bind. Default 127.0.0.1; 0.0.0.0 in a container. */
  host: string;
  /** The secret key the stand-in accepts (a UUID v4). Default {@link DEFAULT_STAND_IN_KEY}. */
  secretKey: string;
  /** One entry per `--seed`. Default `github:3x3000`. */
  seeds: SeedSpec[];
  /** Nango's per-account limit, requests a minute (X-RateLimit-Limit); null: unlimited. */
  rateLimit: number | null;
  /** Period of the churn in ms; null: the records never change. */
  churnMs: number | null;
  /** Where to write the worker's configuration; null: print it only. Default config/demo.yaml. */
  writeConfig: string | null;
  help: boolean;
}

/** A fixed key, so a worker configured once keeps working across restarts. It guards nothing: a test double's key. */
export const DEFAULT_STAND_IN_KEY = '5ca1ab1e-0000-4000-8000-000000000001';
export const DEFAULT_SEED = 'github:3x3000';
const MAX_RECORDS = 1_000_000;
const UUID_V4 = /^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/i;
const SEED = /^([A-Za-z0-9][A-Za-z0-9_.-]*):(\d+)x(\d+)$/;

export const USAGE = `npm run stand-in -- [--port 3003] [--seed github:3x3000]... [--churn 20s] [--host 127.0.0.1]
                       [--secret-key UUID] [--rate-limit N] [--write-config config/demo.yaml | --no-write-config]

Starts the project's stand-in of the Nango API (a test double for trying the worker, not Nango) with sample GitHub
issues, prints the NANGO_HOST and NANGO_SECRET_KEY to give the worker, and writes a worker configuration that
follows the sample data. Runs until Ctrl-C.

  --port N             port to listen on (default 3003; 0: any free port)
  --seed KEY:CxR       integration KEY with C connections of R records each (model GithubIssue, sync "issues");
                       repeat for several integrations; default ${DEFAULT_SEED}. Connections are named acme,
                       globex, initech, umbrella, hooli, then conn-6, conn-7, ...
                       At most ${MAX_RECORDS.toLocaleString('en-US')} records in all.
  --churn PERIOD       every PERIOD (30s, 1m, ...), in each connection: change 1% of the records, delete 0.2%,
                       add 0.5% (at least one of each), as Nango would after a sync run; no webhook is sent.
                       Default: no churn, the records never change.
  --host ADDR          interface to bind (default 127.0.0.1; 0.0.0.0 to be reached from containers)
  --rate-limit N       the account's limit, N requests a minute in Nango's fixed 60 s window, with Nango's
                       X-RateLimit-* headers and 429s (Nango's plans: 100, 200, 1000, 2000, ...); default: none
  --secret-key UUID    the secret key it accepts (default ${DEFAULT_STAND_IN_KEY}, a fixed test key)
  --write-config FILE  where to write the worker's configuration (default config/demo.yaml);
                       --no-write-config prints it only
  --help               this text

Example:
  npm run stand-in -- --port 3003 --seed github:3x3000 --churn 20s
  # then, in another terminal, with the env it prints:
  NANGO_HOST=http://127.0.0.1:3003 NANGO_SECRET_KEY=${DEFAULT_STAND_IN_KEY} REPLICATOR_CONFIG=config/demo.yaml npm start`;

/** Parses the arguments; throws an Error whose message says what is wrong and what is allowed. */
export function parseStandInArgs(argv: string[]): StandInArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '3003' },
      host: { type: 'string', default: '127.0.0.1' },
      'secret-key': { type: 'string', default: DEFAULT_STAND_IN_KEY },
      seed: { type: 'string', multiple: true },
      churn: { type: 'string' },
      'rate-limit': { type: 'string' },
      'write-config': { type: 'string', default: 'config/demo.yaml' },
      'no-write-config': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535 (got "${values.port}")`);
  if (!UUID_V4.test(values['secret-key'])) throw new Error("--secret-key must be a UUID v4, like Nango's keys");
  const seeds = (values.seed ?? [DEFAULT_SEED]).map(parseSeedSpec);
  const total = seeds.reduce((sum, seed) => sum + seed.connections * seed.records, 0);
  if (total > MAX_RECORDS)
    throw new Error(
      `--seed: ${total.toLocaleString('en-US')} records in all; at most ${MAX_RECORDS.toLocaleString('en-US')} fit in memory comfortably`,
    );
  const integrations = seeds.map((seed) => seed.integration);
  const twice = integrations.find((key, i) => integrations.indexOf(key) !== i);
  if (twice !== undefined) throw new Error(`--seed: integration "${twice}" is given twice`);
  return {
    port,
    host: values.host,
    secretKey: values['secret-key'],
    seeds,
    rateLimit: values['rate-limit'] === undefined ? null : parseRateLimit(values['rate-limit']),
    churnMs: values.churn === undefined ? null : parseChurn(values.churn),
    writeConfig: values['no-write-config'] ? null : values['write-config'],
    help: values.help,
  };
}

/** `github:3x3000` -> integration github, 3 connections, 3000 records each. */
export function parseSeedSpec(text: string): SeedSpec {
  const match = SEED.exec(text);
  if (!match) throw new Error(`--seed must look like INTEGRATION:CONNECTIONSxRECORDS, e.g. ${DEFAULT_SEED} (got "${text}")`);
  const connections = Number(match[2]);
  const records = Number(match[3]);
  if (connections < 1 || connections > 100) throw new Error(`--seed ${text}: 1..100 connections`);
  if (records < 1) throw new Error(`--seed ${text}: at least 1 record per connection`);
  return { integration: match[1]!, connections, records };
}

/** The ids of a seed's connections: the first five have names, the rest are numbered. */
export function connectionIds(count: number): string[] {
  const names = ['acme', 'globex', 'initech', 'umbrella', 'hooli'];
  return Array.from({ length: count }, (_, i) => names[i] ?? `conn-${i + 1}`);
}

function parseChurn(text: string): number {
  const value = /^\d+$/.test(text) ? Number(text) : ms(text as ms.StringValue);
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 100) {
    throw new Error(`--churn must be a period of at least 100ms, like 20s or 1m (got "${text}")`);
  }
  return value;
}

function parseRateLimit(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 2)
    throw new Error(`--rate-limit must be a whole number of requests a minute, at least 2 (got "${text}")`);
  return value;
}
