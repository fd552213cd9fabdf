import { type Kysely, Migrator } from 'kysely';
import { migrations } from '../../migrations/index.js';
import { ReplicatorError } from '../errors/replicator-error.js';
import { ensureSchema } from './ensure-schema.js';
import { REPLICATOR_SCHEMA } from './replicator-tables.js';

/**
 * Applies every pending migration of the replicator's own tables. Safe to run from many processes at
 * once: Kysely takes a lock, and a finished migration is skipped. Returns the names newly applied.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's Migrator works on a Kysely<any>
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  await ensureSchema(db, REPLICATOR_SCHEMA);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableSchema: REPLICATOR_SCHEMA,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new ReplicatorError('migration_failed', `Migration ${failed} failed: ${(error as Error).message}`, {
      retry: 'terminal',
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
