import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type ChurnedConnection, churnSampleData, type ChurnTick } from '../stand-in/churn-sample-data.js';
import { mulberry32 } from '../stand-in/mulberry32.js';
import { type NangoStandIn, startNangoStandIn } from '../stand-in/nango-stand-in.js';
import { seedGithubDemo } from '../stand-in/sample-data.js';
import { connectionIds, parseStandInArgs, type StandInArgs, USAGE } from './stand-in-args.js';
import { standInWorkerConfig } from './stand-in-worker-config.js';

// `npm run stand-in`: the project's Nango stand-in with sample data, for trying the worker against it. A development
// script: the stand-in is a test double, kept out of the product's build and image. Entry point: the only place
// that touches process state.
const out = (line = '') => process.stdout.write(`${line}\n`);
const count = (n: number) => n.toLocaleString('en-US');

process.exitCode = await main(process.argv.slice(2));

async function main(argv: string[]): Promise<number | undefined> {
  let args: StandInArgs;
  try {
    args = parseStandInArgs(argv);
  } catch (error) {
    process.stderr.write(`stand-in: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    out(USAGE);
    return 0;
  }
  let standIn: NangoStandIn;
  try {
    const rateLimit = args.rateLimit === null ? null : { requestsPerMinute: args.rateLimit };
    standIn = await startNangoStandIn({ secretKey: args.secretKey, port: args.port, host: args.host, rateLimit });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'EADDRINUSE' ? `port ${args.port} is in use: pick another with --port` : (error as Error).message;
    process.stderr.write(`stand-in: cannot start: ${reason}\n`);
    return 1;
  }
  serve(standIn, args);
  return undefined;
}

/** Seeds the data, writes and prints what the worker needs, churns if asked, and stops on the first SIGINT/SIGTERM. */
function serve(standIn: NangoStandIn, args: StandInArgs): void {
  const url = standIn.url.replace(/\/\/(0\.0\.0\.0|\[::\])(?=:)/, '//127.0.0.1');
  const total = args.seeds.reduce((sum, seed) => sum + seed.connections * seed.records, 0);
  out(`Nango stand-in (a test double of the Nango API) on ${url}: seeding ${count(total)} sample records...`);
  const churned: ChurnedConnection[] = [];
  for (const seed of args.seeds) {
    const ids = connectionIds(seed.connections);
    seedGithubDemo(standIn.store, { providerConfigKey: seed.integration, connections: ids, recordsPerConnection: seed.records });
    for (const connectionId of ids) {
      churned.push({ providerConfigKey: seed.integration, connectionId, seeded: seed.records, nextNumber: seed.records + 1 });
    }
    out(
      `  integration ${seed.integration}: ${ids.length} connection${ids.length === 1 ? '' : 's'} (${ids.join(', ')}) x ${count(seed.records)} GitHub issues, model GithubIssue`,
    );
  }
  out(
    args.churnMs === null
      ? '  churn: off (--churn 20s changes records every 20 s)'
      : `  churn: every ${args.churnMs / 1000} s, each connection changes 1%, deletes 0.2% and adds 0.5% of its records`,
  );

  const config = standInWorkerConfig(args.seeds);
  out();
  if (args.writeConfig === null) {
    out("The worker's configuration for this data (save it to a file and point REPLICATOR_CONFIG at it):");
  } else {
    mkdirSync(dirname(args.writeConfig), { recursive: true });
    writeFileSync(args.writeConfig, config);
    out(`Wrote ${args.writeConfig}, the worker's configuration for this data:`);
  }
  for (const line of config.trimEnd().split('\n')) out(`  ${line}`);
  out();
  out('Start the worker in another terminal, from the repository (Postgres and Redis on their defaults), with:');
  out(`export NANGO_HOST=${url}`);
  out(`export NANGO_SECRET_KEY=${args.secretKey}`);
  out(`export REPLICATOR_CONFIG=${args.writeConfig ?? 'demo.yaml'}`);
  out('npm start    # the worker; its status page is on http://127.0.0.1:9464/ (ADMIN_PORT)');
  out();
  out('Ready. Ctrl-C stops the stand-in.');

  const rng = mulberry32(2);
  const timer =
    args.churnMs === null
      ? null
      : setInterval(() => {
          const ticks = churnSampleData(standIn.store, churned, rng);
          out(`${new Date().toISOString()} churn: ${ticks.map(describeTick).join('; ')}`);
        }, args.churnMs);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // Ctrl-C under `npm run` may arrive twice (from the terminal, and forwarded by npm): stop once.
    if (stopping) return;
    stopping = true;
    if (timer) clearInterval(timer);
    process.stderr.write(`\n${signal}: stand-in stopped after ${count(standIn.stats.requests)} requests\n`);
    // With the timer cleared and the server closed nothing is left: the process ends by itself, exit code 0.
    void standIn.close();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

function describeTick(tick: ChurnTick): string {
  return `${tick.providerConfigKey}/${tick.connectionId} ${tick.updated} changed, ${tick.deleted} deleted, ${tick.added} added`;
}
