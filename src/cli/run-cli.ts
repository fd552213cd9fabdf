import { CommanderError } from 'commander';
import { loadConfig, requireSecretKey } from '../config/load-config.js';
import type { ReplicatorConfig } from '../config/replicator-config.js';
import { withInfrastructureErrors } from '../errors/describe-infrastructure-error.js';
import { ReplicatorError } from '../errors/replicator-error.js';
import { createLogger } from '../log/create-logger.js';
import { buildProgram, type CliRequest } from './build-program.js';
import { cliLogLevel } from './cli-log-level.js';
import { scrubSecrets } from './scrub-secrets.js';
import { StopSignal } from './stop-signal.js';
import { createTerminal } from './terminal.js';

/**
 * Exit code of a `sync` that skipped a stream because another live process was reading it (with `--wait`: it was
 * stopped while waiting), and failed nothing: a failure (exit 1) wins over a skip.
 */
const SKIPPED_BUSY_EXIT_CODE = 3;

/** The process's outside world, passed in so the CLI runs the same in a test as in a shell. */
export interface CliIo {
  argv: string[];
  env: Readonly<Record<string, string | undefined>>;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  readTextFile: (path: string) => string | null;
  /**
   * Aborts on the first SIGINT/SIGTERM: the page in flight commits or rolls back, then the command ends. A
   * `StopSignal` reason is announced through the logger.
   */
  signal: AbortSignal;
  fetch?: typeof fetch;
  /** Printed by `--version`; the option is absent without it. */
  version?: string;
  /**
   * The process's V8 flags and a way to set more (`v8.setFlagsFromString`): the worker limits its heap's growth
   * (`limitHeapGrowth`). Absent: the heap is left as V8 sizes it.
   */
  v8?: { execArgv: ReadonlyArray<string>; setFlags(flags: string): void };
}

/** Parses the command line, runs the command and resolves with the process exit code. Never exits itself. */
export async function runCli(io: CliIo): Promise<number> {
  const terminal = createTerminal(io.stderr);
  let exitCode = 0;
  let config: ReplicatorConfig | undefined;
  const program = buildProgram(
    async (request) => {
      config = loadConfig({ env: io.env, readTextFile: io.readTextFile });
      exitCode = await execute(request, config, io, terminal);
    },
    { writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) },
    { version: io.version },
  );
  try {
    await program.parseAsync(io.argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    terminal.clearStatus();
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`error: ${scrubSecrets(message, config, io.env)}\n`);
    return error instanceof ReplicatorError && error.code === 'invalid_config' ? 2 : 1;
  }
}

async function execute(request: CliRequest, config: ReplicatorConfig, io: CliIo, terminal: ReturnType<typeof createTerminal>) {
  const level = cliLogLevel(request.command, config, io.env, terminal.isTTY);
  const logger = createLogger({ level, destination: terminal, pretty: terminal.isTTY });
  whenAborted(io.signal, (reason) => {
    if (!(reason instanceof StopSignal)) return;
    // The worker's stop is routine (a deploy); a one-shot command stopped before its end is worth a warning.
    logger[request.command === 'worker' ? 'info' : 'warn'](
      { signal: reason.signal },
      `${reason.signal} received: finishing the page in flight, then stopping (send it again to exit at once)`,
    );
  });
  // Each command's modules are imported when it runs: `--help`, `status` or `migrate` do not load the worker's
  // (BullMQ, Fastify, prom-client), which would double their start-up time.
  const { createDatabase } = await import('../store/create-database.js');
  const { migrateToLatest } = await import('../store/migrate-to-latest.js');
  if (request.command === 'migrate') {
    const db = createDatabase({ url: config.databaseUrl });
    try {
      const applied = await withInfrastructureErrors({ service: 'postgres', url: config.databaseUrl }, () => migrateToLatest(db));
      io.stdout.write(applied.length === 0 ? 'Already up to date.\n' : `Applied: ${applied.join(', ')}\n`);
      return 0;
    } finally {
      await db.destroy();
    }
  }
  if (request.command === 'status') {
    const { readStatusBudget } = await import('./read-status-budget.js');
    const { statusCommand } = await import('./status-command.js');
    const db = createDatabase({ url: config.databaseUrl });
    try {
      await withInfrastructureErrors({ service: 'postgres', url: config.databaseUrl }, () => migrateToLatest(db));
      const budget = request.json ? null : await readStatusBudget(config, io.env);
      await statusCommand(
        db,
        { schema: config.target.schema, json: request.json, filter: request.filter, limit: request.limit, budget },
        { stdout: io.stdout },
      );
      return 0;
    } finally {
      await db.destroy();
    }
  }
  if (request.command === 'dbt-sources') {
    const { dbtSourcesCommand } = await import('./dbt-sources-command.js');
    const db = createDatabase({ url: config.databaseUrl });
    try {
      await withInfrastructureErrors({ service: 'postgres', url: config.databaseUrl }, () => migrateToLatest(db));
      await dbtSourcesCommand(db, { rules: config.streams, output: request.output }, { stdout: io.stdout, stderr: io.stderr });
      return 0;
    } finally {
      await db.destroy();
    }
  }
  if (request.command === 'worker') {
    const { limitHeapGrowth } = await import('../worker/limit-heap-growth.js');
    const { workerCommand } = await import('./worker-command.js');
    if (io.v8 !== undefined) {
      const percent = limitHeapGrowth({ ...io.v8, nodeOptions: io.env.NODE_OPTIONS });
      logger.debug(
        { heapGrowingPercent: percent },
        percent === null ? 'heap flags given: V8 heap left as configured' : 'V8 heap growth limited',
      );
    }
    return workerCommand({ config, logger, fetch: io.fetch }, { signal: io.signal });
  }
  if (request.command === 'backfill') {
    const { backfillCommand } = await import('./backfill-command.js');
    return backfillCommand(config, request, { stdout: io.stdout, terminal, signal: io.signal });
  }
  const { openCliFleet } = await import('./open-cli-fleet.js');
  const { openApp } = await import('./open-app.js');
  const { syncCommand } = await import('./sync-command.js');
  // With REDIS_URL set, a one-shot sync takes its tokens from the fleet's bucket and its streams' locks like the
  // workers do; without it, it coordinates with nobody.
  const fleet = io.env.REDIS_URL ? await openCliFleet({ logger }, config, requireSecretKey(config), 'sync') : null;
  try {
    const app = await openApp({ config, logger, fetch: io.fetch, gate: fleet?.gate, failFastWhenUnreachable: true });
    try {
      const streams = request.connectionIds.flatMap((connectionId) =>
        request.models.flatMap((model) =>
          request.variants.map((variant) => ({ providerConfigKey: request.providerConfigKey, connectionId, model, variant })),
        ),
      );
      const locks = fleet === null ? undefined : { locks: fleet.locks, pullMarks: fleet.pullMarks, owner: fleet.owner };
      const scrub = (text: string) => scrubSecrets(text, config, io.env);
      const outcomes = await syncCommand(app, { ...request, streams }, { stdout: io.stdout, terminal, signal: io.signal, locks, scrub });
      // A stream that failed (or lost its lock) needs someone to look; a busy one is read by its holder anyway.
      if (outcomes.some((o) => o.outcome === 'failed' || o.outcome === 'lock-lost')) return 1;
      return outcomes.some((o) => o.outcome === 'busy') ? SKIPPED_BUSY_EXIT_CODE : 0;
    } finally {
      await app.close();
    }
  } finally {
    await fleet?.close();
  }
}

function whenAborted(signal: AbortSignal, onAbort: (reason: unknown) => void): void {
  if (signal.aborted) onAbort(signal.reason);
  else signal.addEventListener('abort', () => onAbort(signal.reason), { once: true });
}
