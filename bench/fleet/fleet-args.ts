import { parseArgs } from 'node:util';

/** What `npm run bench -- --scenario fleet ...` asked for. */
export interface FleetBenchArgs {
  /** Connections of the integration; each has 3 models. Default 10,000 (30,000 streams). */
  connections: number;
  /** Records per stream in the stand-in. Default 2. */
  recordsPerStream: number;
  /** Length of the idle and the changing measurement windows, ms. Default 60,000. */
  windowMs: number;
  /** Streams changed (record saved, webhook sent) per hour in the changing window, fraction. Default 0.05. */
  changeRatePerHour: number;
  /** Give up waiting for the first full replication after this long, ms. Default 20 min. */
  replicationTimeoutMs: number;
  /** The streams' `every`, as written in the configuration (e.g. `1h`, `15m`). Default 1h. */
  every: string;
  /** The streams' `safetyNet` (e.g. `6h`). Default 6h (the product's default). */
  safetyNet: string;
  /** A directory: each worker writes its memory use there every 2 s (bench/fleet/memory-probe.mjs). Default none. */
  memoryProbeDir: string | null;
}

export const FLEET_USAGE = `npm run bench -- --scenario fleet [--connections N] [--records-per-stream N] [--window 60s] [--every 1h] [--safety-net 6h] [--memory-probe DIR]
  N connections x 3 models on the stand-in (default 10000), two worker processes; measures the first full
  replication, API requests a minute idle and with --change-rate (default 0.05) of the streams changing per hour
  (a record saved and a signed webhook sent) from a fleet seeded to steady state (every stream backed off to
  its safety net, next reads spread over it), Redis memory, worker RSS, /metrics, the status page and \`status\`.
  --memory-probe DIR: each worker writes process.memoryUsage() and V8's heap spaces to DIR/<pid>.jsonl every 2 s
  (and writes a heap snapshot into its working directory on SIGUSR2).`;

export function parseFleetArgs(argv: string[]): FleetBenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string' },
      connections: { type: 'string', default: '10000' },
      'records-per-stream': { type: 'string', default: '2' },
      window: { type: 'string', default: '60' },
      'change-rate': { type: 'string', default: '0.05' },
      'replication-timeout': { type: 'string', default: '1200' },
      'memory-probe': { type: 'string' },
      every: { type: 'string', default: '1h' },
      'safety-net': { type: 'string', default: '6h' },
    },
    strict: true,
  });
  const positive = (name: string, value: string | undefined) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number (got ${value})`);
    return n;
  };
  return {
    connections: Math.round(positive('connections', values.connections)),
    recordsPerStream: Math.round(positive('records-per-stream', values['records-per-stream'])),
    windowMs: positive('window', values.window?.replace(/s$/, '')) * 1000,
    changeRatePerHour: positive('change-rate', values['change-rate']),
    replicationTimeoutMs: positive('replication-timeout', values['replication-timeout']?.replace(/s$/, '')) * 1000,
    memoryProbeDir: values['memory-probe'] ?? null,
    every: values.every ?? '1h',
    safetyNet: values['safety-net'] ?? '6h',
  };
}

/** Whether the command line asks for the fleet scenario. */
export function wantsFleetScenario(argv: ReadonlyArray<string>): boolean {
  const i = argv.indexOf('--scenario');
  return (i >= 0 && argv[i + 1] === 'fleet') || argv.includes('--scenario=fleet');
}
