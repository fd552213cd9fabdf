import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { Secret } from '../src/config/secret.js';
import { createDatabase } from '../src/store/create-database.js';
import { migrateToLatest } from '../src/store/migrate-to-latest.js';
import type { ReplicatorDatabase } from '../src/store/replicator-tables.js';

/** The server the bench creates its database on. Trust auth on this machine. */
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A database of the bench's own, migrated, dropped with everything in it by `drop()`. */
export interface BenchDatabase {
  name: string;
  url: string;
  db: Kysely<ReplicatorDatabase>;
  /** Empties the replicator's state and drops the given schemas, so the next run starts from nothing. */
  reset(schemas: ReadonlyArray<string>): Promise<void>;
  /** Flushes dirty buffers so one run's writes are not paid for by the next run. */
  checkpoint(): Promise<void>;
  drop(): Promise<void>;
}

export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `nr_bench_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const db = createDatabase({ url: new Secret(url.toString()), applicationName: 'nango-replicator-bench' });
  await migrateToLatest(db);
  let dropped = false;
  return {
    name,
    url: url.toString(),
    db,
    async reset(schemas) {
      for (const schema of schemas) await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(db);
      await sql`TRUNCATE nango_replicator.streams, nango_replicator.model_tables, nango_replicator.table_columns CASCADE`.execute(db);
    },
    async checkpoint() {
      await sql`CHECKPOINT`.execute(db);
    },
    async drop() {
      if (dropped) return;
      dropped = true;
      await db.destroy();
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
