import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Secret } from '../../src/config/secret.js';

/** The server tests create their databases on. Trust auth on this machine and in CI. */
const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A database of its own for one test file, dropped (with everything in it) by `drop()`. */
export interface TestDatabase {
  name: string;
  url: string;
  secretUrl: Secret;
  drop(): Promise<void>;
}

/** Creates an empty database named after the test file plus a random suffix, so files can run in parallel. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `nr_${label
    .replace(/[^a-z0-9]/gi, '_')
    .toLowerCase()
    .slice(0, 30)}_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    secretUrl: new Secret(url.toString()),
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
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
