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
}

export const FLEET_USAGE = `npm run bench -- --scenario fleet [--connections N] [--records-per-stream N] [--window 60s]
  N connections x 3 models on the stand-in (default 10000), two worker processes; measures the first full
  replication, API requests a minute idle and with --change-rate (default 0.05) of the streams changing per hour
  (a record saved and a signed webhook sent), Redis memory, worker RSS, /metrics, the status page and \`status\`.`;

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
  };
}

/** Whether the command line asks for the fleet scenario. */
export function wantsFleetScenario(argv: ReadonlyArray<string>): boolean {
  const i = argv.indexOf('--scenario');
  return (i >= 0 && argv[i + 1] === 'fleet') || argv.includes('--scenario=fleet');
}
