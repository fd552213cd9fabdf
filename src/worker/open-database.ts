import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ReplicatorConfig } from '../config/replicator-config.js';
import { withInfrastructureErrors } from '../errors/describe-infrastructure-error.js';
import { createDatabase } from '../store/create-database.js';
import { migrateToLatest } from '../store/migrate-to-latest.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';

/** The replicator's database, its tables brought up to date, and one idempotent close. */
export interface OpenDatabase {
  db: Kysely<ReplicatorDatabase>;
  close(): Promise<void>;
}

/**
 * Connects to `DATABASE_URL` (a pool of `createDatabase`'s default size) and runs the migrations; a failure says whether Postgres
 * was unreachable or refused (see `withInfrastructureErrors`) and closes the pool.
 */
export async function openDatabase(deps: { logger: Logger }, config: ReplicatorConfig): Promise<OpenDatabase> {
  const db = createDatabase({
    url: config.databaseUrl,
    onIdleError: (error) =>
      deps.logger.warn({ err: { message: error.message } }, 'an idle database connection failed; it will be replaced'),
  });
  let closed: Promise<void> | undefined;
  const close = () => (closed ??= db.destroy());
  try {
    await withInfrastructureErrors({ service: 'postgres', url: config.databaseUrl }, () => migrateToLatest(db));
  } catch (error) {
    await close();
    throw error;
  }
  return { db, close };
}
