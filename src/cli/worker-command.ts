import type { Logger } from 'pino';
import { DEFAULT_CONFIG_PATH } from '../config/load-config.js';
import { openWorker, type OpenWorkerDeps } from '../worker/open-worker.js';

/**
 * `nango-replicator worker`: runs until `signal` aborts (the first SIGTERM or SIGINT; the entry point exits at
 * once on a second one), then drains within `worker.shutdownTimeout` and closes everything. Resolves with the
 * exit code: 0 after a drain in time, 1 when jobs were abandoned at the deadline or the worker failed by itself.
 */
export async function workerCommand(deps: OpenWorkerDeps, io: { signal: AbortSignal }): Promise<number> {
  const { logger, config } = deps;
  const worker = await openWorker(deps);
  if (config.streams.length === 0) logger.warn({ configPath: config.configPath }, noStreamsMessage(config.configPath));
  const ending = await Promise.race([whenAborted(io.signal).then(() => null), worker.failed]);
  if (ending !== null) logger.error({ err: { message: ending.message } }, 'the worker stopped by itself; shutting down');
  const deadlineMs = config.worker.shutdownTimeoutMs;
  logger.info({ deadlineMs }, 'shutting down: no new jobs; jobs running stop after their page in flight');
  const { drained } = await worker.close(deadlineMs);
  logStopped(logger, drained);
  return ending === null && drained ? 0 : 1;
}

function whenAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

function logStopped(logger: Logger, drained: boolean): void {
  if (drained) logger.info('worker stopped');
  else logger.warn('worker stopped at the deadline; abandoned jobs run again elsewhere from their committed cursor');
}

/** Says which file to edit (and how to pick another) when the configuration follows no stream. */
export function noStreamsMessage(configPath: string | null): string {
  const where =
    configPath === null
      ? `there is no configuration file (${DEFAULT_CONFIG_PATH} not found; REPLICATOR_CONFIG names another)`
      : `\`streams:\` is empty in ${configPath} (the file REPLICATOR_CONFIG names; default ${DEFAULT_CONFIG_PATH})`;
  return (
    `no streams configured, so this worker replicates nothing: ${where}. ` +
    'List the integrations to follow under `streams:` (see config/replicator.yaml and docs/worker.md), ' +
    'or try it against sample data: npm run stand-in'
  );
}
