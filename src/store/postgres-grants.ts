import { REPLICATOR_SCHEMA } from './replicator-tables.js';

/**
 * What an administrator runs once so the replicator needs no more than its own two schemas: a login role without
 * SUPERUSER, CREATEDB or CREATEROLE that may connect to the database and owns `nango_replicator` (its bookkeeping and
 * migrations) and the target schema (`target.schema`, the model tables). Owning them lets it create tables,
 * indexes (`CREATE INDEX CONCURRENTLY`), views and comments there; it has no CREATE on the database and no right
 * in any other schema. The README's Security section shows the result for the defaults; a test runs sync, worker
 * and backfill as such a role.
 */
export function postgresGrants(options: { database: string; role: string; targetSchema: string; password?: string }): string[] {
  const id = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const login = options.password === undefined ? 'LOGIN' : `LOGIN PASSWORD '${options.password.replace(/'/g, "''")}'`;
  return [
    `CREATE ROLE ${id(options.role)} ${login} NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT`,
    `GRANT CONNECT ON DATABASE ${id(options.database)} TO ${id(options.role)}`,
    `CREATE SCHEMA IF NOT EXISTS ${id(REPLICATOR_SCHEMA)} AUTHORIZATION ${id(options.role)}`,
    `CREATE SCHEMA IF NOT EXISTS ${id(options.targetSchema)} AUTHORIZATION ${id(options.role)}`,
  ];
}
