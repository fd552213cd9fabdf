import { serializeError } from './serialize-error.js';
import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

export interface LoggerOptions {
  level: string;
  /** Where lines go. Default: standard error. */
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
  return pino(base, pretty({ destination, sync: true, colorize: true, ignore: 'pid,hostname,service', translateTime: 'SYS:HH:MM:ss' }));
}
