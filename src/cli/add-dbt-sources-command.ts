import type { Command } from 'commander';

/** `nango-replicator dbt-sources ...` as parsed. */
export interface DbtSourcesRequest {
  command: 'dbt-sources';
  /** The file to write; stdout when absent. */
  output?: string;
}

/** Adds the `dbt-sources` subcommand to the program. Parsing only, like the other commands. */
export function addDbtSourcesCommand(program: Command, onRequest: (request: DbtSourcesRequest) => Promise<void>): void {
  program
    .command('dbt-sources')
    .description(
      'Write a dbt sources file describing the tables in the database: one source per schema, one table per model ' +
        'table, every column with its Postgres type and description, loaded_at_field _nango_synced_at and a ' +
        'freshness block from the `every` of the stream rules in the YAML file (warn after 2 periods, error after 4). ' +
        'Needs only DATABASE_URL; run sync or a worker first so the tables exist.',
    )
    .option('-o, --output <file>', 'write to this file (its folder is created), e.g. models/sources/nango.yml; default: stdout')
    .action((options: { output?: string }) => onRequest({ command: 'dbt-sources', output: options.output }));
}
