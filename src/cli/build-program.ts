import { Command, InvalidArgumentError, Option } from 'commander';
import { addBackfillCommand, type BackfillRequest } from './add-backfill-command.js';
import { addDbtSourcesCommand, type DbtSourcesRequest } from './add-dbt-sources-command.js';
import { addStatusCommand, type StatusRequest } from './add-status-command.js';
import { COMMAND_EXAMPLES } from './command-examples.js';
import { collectVariant } from './variant-option.js';

/** What a parsed command line asks for. The entry point carries it out. */
export type CliRequest =
  | {
      command: 'sync';
      providerConfigKey: string;
      connectionIds: string[];
      models: string[];
      /** Sync variants, `base` (the plain sync) when none was given. */
      variants: string[];
      full: boolean;
      pageSize?: number;
      json: boolean;
      wait: boolean;
    }
  | { command: 'migrate' }
  | { command: 'worker' }
  | StatusRequest
  | BackfillRequest
  | DbtSourcesRequest;

const ENVIRONMENT_HELP = `
Environment:
  NANGO_SECRET_KEY   your Nango environment's secret key (sync, worker)
  NANGO_HOST         Nango API URL (default https://api.nango.dev)
  DATABASE_URL       Postgres to write to
                     (default postgres://postgres@127.0.0.1:5432/postgres)
  REDIS_URL          Redis for the worker and backfill
                     (default redis://127.0.0.1:6379)
  REPLICATOR_CONFIG  YAML settings file (default config/replicator.yaml)
  PORT               the worker's public door: POST /webhooks/nango,
                     /healthz, /readyz (default 8080)
  ADMIN_PORT         the worker's admin door: status page at /, /metrics,
                     /healthz, /readyz (default 9464)
  ADMIN_HOST         the admin door's address (default 127.0.0.1; in a
                     container 0.0.0.0)
  ADMIN_TOKEN        when set, the status page and /metrics need
                     Authorization: Bearer <token>
  LOG_LEVEL          fatal|error|warn|info|debug|trace|silent (default info;
                     sync and backfill on a terminal: warn)

Exit codes: 0 done, 1 failed (the message says what to check; sync: a stream
failed), 2 invalid usage or configuration, 3 (sync with REDIS_URL) a stream was
skipped because another process was reading it, none failed.`;

/**
 * The command-line grammar. Parsing only: `onRequest` receives what was asked, so the program can be
 * tested without connecting anything.
 */
export function buildProgram(
  onRequest: (request: CliRequest) => Promise<void>,
  output: { writeOut: (text: string) => void; writeErr: (text: string) => void },
  about: { version?: string } = {},
): Command {
  // Set before the subcommands are added, which copy these settings: usage errors throw instead of exiting.
  const program = new Command()
    .exitOverride()
    .configureOutput(output)
    .name('nango-replicator')
    .description('Keeps an exact, typed copy of the records Nango syncs in your own PostgreSQL.')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', ENVIRONMENT_HELP);
  if (about.version !== undefined) program.version(about.version, '-V, --version', 'print the version and exit');

  program
    .command('sync')
    .description(
      'Replicate one stream (integration, connection, model) from its stored cursor to the end, then exit. ' +
        'Run it again later to fetch only what changed. Repeat --connection or --model to read several streams ' +
        'one after the other. With REDIS_URL set, each stream is read under the lock the workers take; a stream ' +
        'another process is reading is skipped (the message names the holder) and the exit code is 3. A stream that ' +
        'fails does not stop the others; the failed ones are listed at the end and the exit code is 1.',
    )
    .requiredOption('-i, --integration <key>', 'integration unique key in Nango (providerConfigKey), e.g. github')
    .requiredOption('-c, --connection <id>', 'connection id, e.g. acme (repeatable)', collect)
    .requiredOption('-m, --model <Model>', 'model name as the sync returns it, e.g. GithubIssue (repeatable)', collect)
    .addOption(
      new Option('--variant <name>', 'sync variant, e.g. eu (repeatable; default base, the sync without a variant)').argParser(
        collectVariant,
      ),
    )
    .option('--full', 'read the stream from the beginning; stored rows are kept and updated', false)
    .addOption(new Option('--page-size <n>', 'records per request, 1..10000 (default: nango.pageSize)').argParser(pageSize))
    .option('--json', 'print the summary as JSON', false)
    .option(
      '--wait',
      'with REDIS_URL: wait for a stream another process is reading, then read it, instead of skipping it (Ctrl-C stops waiting)',
      false,
    )
    .action(
      (options: {
        integration: string;
        connection: string[];
        model: string[];
        variant?: string[];
        full: boolean;
        pageSize?: number;
        json: boolean;
        wait: boolean;
      }) =>
        onRequest({
          command: 'sync',
          providerConfigKey: options.integration,
          connectionIds: [...new Set(options.connection)],
          models: [...new Set(options.model)],
          variants: [...new Set(options.variant ?? ['base'])],
          full: options.full,
          pageSize: options.pageSize,
          json: options.json,
          wait: options.wait,
        }),
    );

  program
    .command('migrate')
    .description("Create or update the replicator's own tables (schema nango_replicator). Other commands do it too.")
    .action(() => onRequest({ command: 'migrate' }));

  program
    .command('worker')
    .description(
      'Run as a service: keep every stream listed under `streams` in the YAML file (REPLICATOR_CONFIG, default ' +
        'config/replicator.yaml) fresh, with any number of processes sharing Redis and Postgres. Two doors: PORT ' +
        '(default 8080), the only one to expose to Nango, serves Nango webhooks at POST /webhooks/nango, GET /healthz ' +
        'and /readyz, and nothing else; ADMIN_PORT (default 9464, on ADMIN_HOST, default 127.0.0.1) serves the ' +
        'status page at GET /, Prometheus metrics at GET /metrics and the health routes, behind ' +
        '"Authorization: Bearer $ADMIN_TOKEN" when ADMIN_TOKEN is set. The first SIGTERM or SIGINT drains (running jobs stop after ' +
        'their page in flight) and exits 0, or 1 if jobs were still running at worker.shutdownTimeout; a second ' +
        'one exits at once.',
    )
    .action(() => onRequest({ command: 'worker' }));

  addStatusCommand(program, onRequest);

  addBackfillCommand(program, onRequest);
  addDbtSourcesCommand(program, onRequest);
  for (const command of [program, ...program.commands]) {
    const examples = COMMAND_EXAMPLES[command.name()];
    if (examples !== undefined) command.addHelpText('after', examples);
  }
  return program;
}

/** A repeatable option's values, in the order given. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function pageSize(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10000) throw new InvalidArgumentError('must be a whole number from 1 to 10000.');
  return n;
}
