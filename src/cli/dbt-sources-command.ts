import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Kysely } from 'kysely';
import { stringify } from 'yaml';
import type { StreamRule } from '../config/replicator-config.js';
import { buildDbtSources, type DbtSources } from '../dbt/build-dbt-sources.js';
import { listModelTableCatalog } from '../dbt/list-model-table-catalog.js';
import { ReplicatorError } from '../errors/replicator-error.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';

const HEADER =
  '# dbt sources of the tables nango-replicator keeps, written by `nango-replicator dbt-sources`.\n' +
  '# Run it again after new models or columns appear; edits to this file are overwritten.\n';

/**
 * `nango-replicator dbt-sources [--output file]`: the dbt sources file of every model table in the database, to
 * stdout or to `output` (its folder created if missing). Tables without a freshness block are named on stderr.
 * Throws a terminal `ReplicatorError` when there are no model tables yet.
 */
export async function dbtSourcesCommand(
  db: Kysely<ReplicatorDatabase>,
  options: { rules: ReadonlyArray<StreamRule>; output?: string },
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<DbtSources> {
  const tables = await listModelTableCatalog(db);
  if (!tables.some((t) => t.model !== null)) {
    throw new ReplicatorError(
      'no_model_tables',
      'The database holds no model tables yet: run `nango-replicator sync` (or a worker) first, then dbt-sources again.',
      { retry: 'terminal' },
    );
  }
  const { sources, notes } = buildDbtSources(tables, options.rules);
  const text = HEADER + stringify(sources, { lineWidth: 0 });
  for (const note of notes) io.stderr.write(`note: ${note}\n`);
  if (options.output === undefined) {
    io.stdout.write(text);
    return sources;
  }
  try {
    await mkdir(dirname(options.output), { recursive: true });
    await writeFile(options.output, text);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    throw new ReplicatorError(
      'output_not_writable',
      `Cannot write ${options.output} (${reason}): choose a file you may write with --output, or leave it out to print to stdout.`,
      { retry: 'terminal', cause: error },
    );
  }
  const count = sources.sources.reduce((n, s) => n + s.tables.length, 0);
  io.stdout.write(`Wrote ${count} table${count === 1 ? '' : 's'} in ${sources.sources.length} source(s) to ${options.output}\n`);
  return sources;
}
