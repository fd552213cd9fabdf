import type { ReplicatorConfig } from '../config/replicator-config.js';
import type { CliRequest } from './build-program.js';

/**
 * The log level of a command. `LOG_LEVEL`, when set, always wins. Otherwise a command that draws a live progress
 * line on a terminal (everything but `worker`, whose log is its output) logs at `warn`, so the line is not drowned
 * by routine log blocks; elsewhere the configured default (`info`) applies.
 */
export function cliLogLevel(
  command: CliRequest['command'],
  config: Pick<ReplicatorConfig, 'logLevel'>,
  env: Readonly<Record<string, string | undefined>>,
  isTTY: boolean,
): ReplicatorConfig['logLevel'] {
  const explicit = env.LOG_LEVEL !== undefined && env.LOG_LEVEL !== '';
  if (explicit || !isTTY || command === 'worker') return config.logLevel;
  return 'warn';
}
