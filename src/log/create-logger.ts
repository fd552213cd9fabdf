import { serializeError } from './serialize-error.js';
import pino, { type DestinationStream, type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';

export interface LoggerOptions {
  level: string;
  /**
   * Where lines go: anything with a `write(text)` method, e.g. the CLI's terminal, which clears and redraws its
   * live status line around each write. Default: standard error.
   */
  destination?: DestinationStream;
  /** Human-readable lines instead of JSON, for a terminal. */
  pretty?: boolean;
}

/**
 * Paths whose values never reach a log line. Secrets are also wrapped in `Secret`, which prints as
 * `[redacted]`; this list is the second line of defence for anything that slips through as a plain string.
 */
export const REDACT_PATHS = [
  'secretKey',
  '*.secretKey',
  'authorization',
  'Authorization',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  'headers.Authorization',
  'password',
  '*.password',
  'signingKey',
  '*.signingKey',
  'token',
  '*.token',
  'databaseUrl',
  '*.databaseUrl',
  'redisUrl',
  '*.redisUrl',
  'connectionString',
  '*.connectionString',
];

/** The root logger. Modules get children carrying their context (integration, connection, model, job). */
export function createLogger(options: LoggerOptions): Logger {
  const base = {
    level: options.level,
    base: { service: 'nango-replicator' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: serializeError },
  };
  const destination = options.destination ?? pino.destination({ dest: 2, sync: true });
  if (!options.pretty) return pino(base, destination);
  return pino(base, prettyDestination(destination));
}

/**
 * Formats each JSON line and writes it to `destination` synchronously, in the same call: a log line lands in order
 * with everything else written to the terminal, and none is still in flight when the process exits. (pino-pretty's
 * own stream would need a Node stream as its destination and deliver lines asynchronously.)
 */
function prettyDestination(destination: DestinationStream): DestinationStream {
  const format = prettyFactory({ colorize: true, ignore: 'pid,hostname,service', translateTime: 'SYS:HH:MM:ss' });
  return { write: (line: string) => destination.write(format(line)) };
}
