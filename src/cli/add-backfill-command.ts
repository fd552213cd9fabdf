import { type Command, InvalidArgumentError, Option } from 'commander';
import type { BackfillCommandOptions } from './backfill-command.js';
import { variantName } from './variant-option.js';

/** `nango-replicator backfill ...` as parsed. */
export type BackfillRequest = { command: 'backfill' } & BackfillCommandOptions;

/** Adds the `backfill` subcommand to the program. Parsing only, like the other commands. */
export function addBackfillCommand(program: Command, onRequest: (request: BackfillRequest) => Promise<void>): void {
  program
    .command('backfill')
    .description(
      'Ask the workers to re-read streams: queues a message on nango-backfill (needs REDIS_URL and a running ' +
        'worker). merge (default): read from the start, or from --since, and upsert; the incremental cursor never ' +
        'moves back. replace: read everything, then delete the rows the pass did not see, unless more than ' +
        'backfill.maxDeleteFraction of a stream would go (then nothing is deleted; --force overrides).',
    )
    .requiredOption('-i, --integration <key>', 'integration unique key in Nango (providerConfigKey)')
    .option('-c, --connection <id>', 'one connection (default: every connection of the integration)')
    .option('-m, --model <Model>', 'one model (default: every model the integration syncs)')
    .addOption(
      new Option(
        '--variant <name>',
        'one sync variant, base for the plain sync (default: the plain sync and every variant followed)',
      ).argParser(variantName),
    )
    .addOption(
      new Option('--since <iso>', 'merge only: records modified at or after this time (within the last 12 months)').argParser(isoTime),
    )
    .addOption(new Option('--mode <mode>', 'merge or replace').choices(['merge', 'replace']).default('merge'))
    .option('--force', 'replace: delete unseen rows even above backfill.maxDeleteFraction', false)
    .option('--wait', 'follow the backfill to its end and exit non-zero unless every stream succeeded', false)
    .option('--json', 'print the outcome as JSON', false)
    .action(
      (options: {
        integration: string;
        connection?: string;
        model?: string;
        variant?: string;
        since?: string;
        mode: 'merge' | 'replace';
        force: boolean;
        wait: boolean;
        json: boolean;
      }) =>
        onRequest({
          command: 'backfill',
          providerConfigKey: options.integration,
          connectionId: options.connection,
          model: options.model,
          variant: options.variant,
          since: options.since,
          mode: options.mode,
          force: options.force,
          wait: options.wait,
          json: options.json,
        }),
    );
}

/** The shape only; the 12-month limit is checked with the rest of the message. */
function isoTime(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new InvalidArgumentError('must be an ISO time such as 2026-05-01T00:00:00Z (or +02:00), or a date such as 2026-05-01.');
  }
  return value;
}
