import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { parse } from 'yaml';
import { createReplicationFixture, type ReplicationFixture, seedTickets, TEST_SECRET_KEY } from '../helpers/replication-fixture.js';
import { refreshConnectionsTable } from '../../src/store/refresh-connections-table.js';
import { runCliInTerminal } from '../helpers/run-cli-in-terminal.js';
import { runCliProcess } from '../helpers/run-cli-process.js';

interface SourcesFile {
  version: number;
  sources: Array<{
    name: string;
    schema: string;
    tables: Array<{
      name: string;
      description?: string;
      meta: { nango_model: string; integrations: string[] };
      loaded_at_field: string;
      freshness?: { warn_after: { count: number; period: string }; error_after: { count: number; period: string } };
      columns: Array<{ name: string; data_type: string; description?: string }>;
    }>;
  }>;
}

describe('dbt-sources', () => {
  let f: ReplicationFixture;
  let dir: string;
  let env: Record<string, string>;
  before(async () => {
    f = await createReplicationFixture('dbt_sources');
    dir = mkdtempSync(join(tmpdir(), 'dbt-sources-'));
    const config = join(dir, 'replicator.yaml');
    writeFileSync(config, 'streams:\n  - integration: helpdesk\n    models: [Ticket]\n    every: 5m\n');
    env = { NANGO_SECRET_KEY: TEST_SECRET_KEY, NANGO_HOST: f.standIn.url, DATABASE_URL: f.database.url, REPLICATOR_CONFIG: config };
  });
  after(async () => {
    await f.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('before any sync it fails with a message saying to run sync first', async () => {
    const result = await runCliProcess(['dbt-sources'], env);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /^error: The database holds no model tables yet: run `nango-replicator sync`/m);
    assert.equal(result.stdout, '');
  });

  test('the file lists every model table and every column with its type, description and freshness', async () => {
    seedTickets(f.standIn, 0, 30);
    await f.sync();
    // A second model table, synced by no rule: it is listed, without a freshness block.
    f.standIn.store.deploySync({ providerConfigKey: 'helpdesk', name: 'agents', models: [{ name: 'Agent' }], runs: 'every hour' });
    f.standIn.store.save('helpdesk', 'acme', 'Agent', [{ id: 'a1', name: 'Ada' }]);
    await f.sync({ stream: { providerConfigKey: 'helpdesk', connectionId: 'acme', model: 'Agent', variant: 'base' } });

    // The connections table discovery keeps is listed too.
    await refreshConnectionsTable(
      { db: f.db, logger: f.logger },
      { schema: 'nango', integrations: ['helpdesk'], connections: await f.nango.listConnections(), onConnectionDeleted: 'keep' },
    );

    const output = join(dir, 'models', 'sources', 'nango.yml');
    const result = await runCliProcess(['dbt-sources', '--output', output], env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Wrote 3 tables in 1 source\(s\) to .*nango\.yml/);
    assert.match(result.stderr, /note: nango\.agent: no freshness block/);
    const file = parse(readFileSync(output, 'utf8')) as SourcesFile;

    assert.equal(file.version, 2);
    assert.deepEqual(
      file.sources.map((s) => [s.name, s.schema]),
      [['nango', 'nango']],
    );
    const { rows } = await sql<{ table_name: string; column_name: string; type: string }>`
      SELECT c.relname AS table_name, a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS type
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'nango' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY c.relname, a.attnum`.execute(f.db);
    const inDatabase = rows.map((r) => `${r.table_name}.${r.column_name} ${r.type}`);
    const inFile = file.sources[0]!.tables.flatMap((t) => t.columns.map((c) => `${t.name}.${c.name} ${c.data_type}`));
    assert.deepEqual(inFile, inDatabase, 'every table and column, in table order, with its Postgres type');

    const ticket = file.sources[0]!.tables.find((t) => t.name === 'ticket')!;
    assert.equal(ticket.description, 'Nango model "Ticket", kept by nango-replicator');
    assert.deepEqual(ticket.meta, { nango_model: 'Ticket', integrations: ['helpdesk'] });
    assert.equal(ticket.loaded_at_field, '_nango_synced_at');
    assert.deepEqual(ticket.freshness, { warn_after: { count: 10, period: 'minute' }, error_after: { count: 20, period: 'minute' } });
    for (const column of ticket.columns) assert.ok(column.description, `${column.name} has a description`);
    assert.match(ticket.columns.find((c) => c.name === 'title')?.description ?? '', /^Nango field "title" \(string\)/);
    const agent = file.sources[0]!.tables.find((t) => t.name === 'agent')!;
    assert.equal(agent.freshness, undefined);
    const connections = file.sources[0]!.tables.find((t) => t.name === '_nango_connections')!;
    for (const column of connections.columns) assert.ok(column.description, `_nango_connections.${column.name} has a description`);
    assert.equal(connections.freshness, undefined);
  });

  test('without --output it prints the file, also on a terminal', async () => {
    const { code, screen } = await runCliInTerminal(['dbt-sources'], env).done;
    assert.equal(code, 0, screen);
    const file = parse(screen.slice(screen.indexOf('version:'))) as SourcesFile;
    assert.deepEqual(file.sources[0]!.tables.map((t) => t.name).sort(), ['_nango_connections', 'agent', 'ticket']);
  });

  test('a file that cannot be written is named, with what to do', async () => {
    const blocker = join(dir, 'not-a-folder');
    writeFileSync(blocker, '');
    const result = await runCliProcess(['dbt-sources', '--output', join(blocker, 'nango.yml')], env);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^error: Cannot write .*not-a-folder\/nango\.yml \((ENOTDIR|EEXIST)\): choose a file you may write with --output/m,
    );
  });

  test('--help shows the examples', async () => {
    const result = await runCliProcess(['dbt-sources', '--help'], {});
    assert.equal(result.code, 0);
    assert.match(result.stdout, /--output <file>/);
    assert.match(result.stdout, /\$ nango-replicator dbt-sources --output models\/sources\/nango\.yml/);
  });
});
