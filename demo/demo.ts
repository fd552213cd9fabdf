import { randomUUID } from 'node:crypto';
import { runCli } from '../src/cli/run-cli.js';
import { loadConfig } from '../src/config/load-config.js';
import { churnGithubIssues, seedGithubDemo } from '../stand-in/sample-data.js';
import { mulberry32 } from '../stand-in/mulberry32.js';
import { startNangoStandIn } from '../stand-in/nango-stand-in.js';
import { createDatabase } from '../src/store/create-database.js';
import { migrateToLatest } from '../src/store/migrate-to-latest.js';
import { DEMO_SCHEMA, describeDemoTables, resetDemo } from './demo-report.js';

// `npm run demo`: the bundled Nango stand-in with sample GitHub issues, replicated into the local Postgres
// (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres) by the real `sync` command.
const INTEGRATION = 'demo-github';
const out = (line = '') => process.stdout.write(`${line}\n`);

const secretKey = randomUUID();
const standIn = await startNangoStandIn({ secretKey });
const seeded = seedGithubDemo(standIn.store, {
  providerConfigKey: INTEGRATION,
  connections: ['acme', 'globex'],
  recordsPerConnection: 2500,
});
const env = {
  ...process.env,
  NANGO_HOST: standIn.url,
  NANGO_SECRET_KEY: secretKey,
  REPLICATOR_CONFIG: 'demo',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
};
const demoConfig = `nango:\n  pageSize: 500\ntarget:\n  schema: ${DEMO_SCHEMA}\n`;
const config = loadConfig({ env, readTextFile: () => demoConfig });
const db = createDatabase({ url: config.databaseUrl });

const sync = async (connectionId: string) => {
  const code = await runCli({
    argv: ['sync', '--integration', INTEGRATION, '--connection', connectionId, '--model', seeded.model],
    env,
    stdout: process.stdout,
    stderr: process.stderr,
    readTextFile: () => demoConfig,
    signal: AbortSignal.timeout(120_000),
  });
  if (code !== 0) throw new Error(`sync of ${connectionId} exited ${code}`);
};

try {
  await migrateToLatest(db);
  await resetDemo(db, INTEGRATION);
  out(`Nango stand-in listening on ${standIn.url} with ${seeded.connections.length} connections x 2,500 GitHub issues.`);
  out(`Replicating into schema "${DEMO_SCHEMA}" of ${new URL(config.databaseUrl.reveal()).host}.\n`);
  out('1. First sync of each connection: every record, page by page.');
  for (const connectionId of seeded.connections) await sync(connectionId);

  const churn = churnGithubIssues(
    standIn.store,
    { providerConfigKey: INTEGRATION, connectionId: 'acme' },
    { updates: 150, deletes: 40, rng: mulberry32(7) },
  );
  // One issue arrives with a value that cannot be a date: it is stored, with NULL in that column and an error row.
  const [first] = standIn.store.snapshot(INTEGRATION, 'globex', seeded.model);
  if (first) standIn.store.save(INTEGRATION, 'globex', seeded.model, [{ ...first.payload, id: first.id, created_at: 'last Tuesday' }]);
  out(`\n2. In Nango, ${churn.updated.length} issues of acme changed, ${churn.deleted.length} were deleted, and one globex issue got a`);
  out('   created_at that is not a date. Sync again: only the changes travel.');
  for (const connectionId of seeded.connections) await sync(connectionId);

  out('\n3. What is in Postgres now:');
  for (const line of await describeDemoTables(db, standIn.store, INTEGRATION, seeded.model)) out(`   ${line}`);
  const psqlUrl = process.env.DATABASE_URL ? '$DATABASE_URL' : 'postgres://postgres@127.0.0.1:5432/postgres';
  out(
    `\nExplore it: psql "${psqlUrl}" -c 'SELECT id, number, title, state, labels, _nango_deleted_at FROM ${DEMO_SCHEMA}.github_issue LIMIT 5'`,
  );
  out(`       and the value that did not fit: psql "${psqlUrl}" -c 'SELECT * FROM nango_replicator.value_errors_view'`);
} finally {
  await db.destroy();
  await standIn.close();
}
