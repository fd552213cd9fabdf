import { type Command, InvalidArgumentError, Option } from 'commander';
import ms from 'ms';
import type { StreamFilter } from '../store/stream-filter.js';

/** What `status` asks for. */
export interface StatusRequest {
  command: 'status';
  json: boolean;
  filter: StreamFilter;
  limit?: number;
}

interface StatusOptions {
  integration?: string;
  connection?: string;
  model?: string;
  failing: boolean;
  lagging?: number;
  limit?: number;
  json: boolean;
}

/** The `status` command's grammar: filters, `--limit`, `--json`. */
export function addStatusCommand(program: Command, onRequest: (request: StatusRequest) => Promise<void>): void {
  program
    .command('status')
    .description(
      'Show the streams: state (fresh, lagging: no success for two of its own periods, failing, never read), rows, ' +
        'last successful run, cursor age and last error. Up to 50 streams: every one; more: a summary and the worst ' +
        'streams (failing first, then the most behind their period). --json lists every matching stream.',
    )
    .option('-i, --integration <key>', 'only this integration (providerConfigKey)')
    .option('-c, --connection <id>', 'only this connection id')
    .option('-m, --model <Model>', 'only this model')
    .option('--failing', 'only streams whose last run failed', false)
    .addOption(
      new Option('--lagging <duration>', 'only streams without a successful run for longer than this, e.g. 2h').argParser(duration),
    )
    .addOption(new Option('--limit <n>', 'list at most n streams (default: all up to 50, else the 20 worst)').argParser(positive))
    .option('--json', 'print every matching stream as a JSON array (streamed)', false)
    .action((options: StatusOptions) =>
      onRequest({
        command: 'status',
        json: options.json,
        limit: options.limit,
        filter: {
          ...(options.integration === undefined ? {} : { integration: options.integration }),
          ...(options.connection === undefined ? {} : { connection: options.connection }),
          ...(options.model === undefined ? {} : { model: options.model }),
          ...(options.failing ? { state: 'failing' as const } : {}),
          ...(options.lagging === undefined ? {} : { laggingMs: options.lagging }),
        },
      }),
    );
}

function duration(value: string): number {
  const parsed = ms(value as ms.StringValue);
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed <= 0) {
    throw new InvalidArgumentError('must be a duration such as 90s, 30m, 2h or 1d.');
  }
  return parsed;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1.');
  return n;
}
