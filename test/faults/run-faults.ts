/**
 * The survival suite: real `sync`, `worker` and `backfill` processes against real Postgres, Redis and the Nango
 * stand-in, under injected faults. Prints the survival table; exits 1 if any row lost, duplicated or let a cursor
 * run ahead of its rows, or if a process died of a fault it should survive.
 *
 *   npm run test:faults [-- --only a,b] [-- --skip a,b] [-- --list]    (FAULTS_SEED=n replays a run)
 */
import { openFaultSuite } from './fault-suite.js';
import { rowPassed, type Scenario, type SurvivalRow } from './scenario.js';
import { SCENARIOS } from './scenarios/index.js';
import { scanSecrets } from './scan-secrets.js';
import { formatSurvivalTable } from './format-survival-table.js';

/** No scenario may hold the suite longer than this; its processes are killed at the end. */
const SCENARIO_TIMEOUT_MS = Number(process.env.FAULTS_SCENARIO_TIMEOUT_MS ?? 6 * 60_000);

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} did not finish within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function namesAfter(flag: string, argv: string[]): Set<string> | null {
  const names: string[] = [];
  let seen = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === flag) {
      seen = true;
      names.push(...(argv[i + 1] ?? '').split(',').filter(Boolean));
    } else if (argv[i]?.startsWith(`${flag}=`)) {
      seen = true;
      names.push(
        ...(argv[i] as string)
          .slice(flag.length + 1)
          .split(',')
          .filter(Boolean),
      );
    }
  }
  return seen ? new Set(names) : null;
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--list')) {
    for (const s of SCENARIOS) process.stdout.write(`${s.name}\n`);
    return 0;
  }
  const only = namesAfter('--only', argv);
  const skip = namesAfter('--skip', argv) ?? new Set<string>();
  for (const name of [...(only ?? []), ...skip]) {
    if (!SCENARIOS.some((s) => s.name === name)) {
      process.stderr.write(`unknown scenario ${name}; --list shows them\n`);
      return 2;
    }
  }
  const chosen = SCENARIOS.filter((s) => (only === null || only.has(s.name)) && !skip.has(s.name));
  const seed = Number(process.env.FAULTS_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const suite = await openFaultSuite(seed);
  suite.log(`seed ${seed} (FAULTS_SEED=${seed} replays the random choices); scenarios: ${chosen.map((s) => s.name).join(', ')}`);
  // Interrupted (Ctrl-C, a CI timeout): kill the processes, drop the databases, stop the private servers.
  const interrupt = (signal: NodeJS.Signals) => {
    suite.log(`${signal}: cleaning up`);
    void (async () => {
      for (const proc of suite.processes) await proc.kill();
      await suite.close();
      process.exit(130);
    })();
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  const rows: Array<SurvivalRow & { scenario: Scenario; seconds: number }> = [];
  const started = Date.now();
  try {
    for (const scenario of chosen) {
      const t0 = Date.now();
      suite.log(`${scenario.name}: start`);
      let result: SurvivalRow[];
      try {
        result = await withTimeout(scenario.run(suite), SCENARIO_TIMEOUT_MS, scenario.name);
      } catch (error) {
        result = [
          {
            fault: scenario.name,
            injected: 0,
            survived: 0,
            lost: 0,
            duplicated: 0,
            ahead: 0,
            failures: [`did not finish: ${(error as Error).stack ?? String(error)}`.slice(0, 1500)],
          },
        ];
      }
      const seconds = Math.round((Date.now() - t0) / 1000);
      for (const row of result) rows.push({ ...row, scenario, seconds });
      suite.log(`${scenario.name}: ${result.every(rowPassed) ? 'passed' : 'FAILED'} in ${seconds} s`);
    }
  } finally {
    for (const proc of suite.processes) await proc.kill();
    await suite.close();
  }
  const scan = scanSecrets(suite, suite.processes);
  const all = [...rows, { ...scan, scenario: { name: 'secret-scan' } as Scenario, seconds: 0 }];
  process.stdout.write(`\n${formatSurvivalTable(all)}\n`);
  const failed = all.filter((row) => !rowPassed(row));
  for (const row of failed) {
    process.stdout.write(`\nFAILED ${row.scenario.name}: ${row.fault}\n`);
    for (const failure of row.failures) process.stdout.write(`  - ${failure}\n`);
  }
  process.stdout.write(
    `\n${chosen.length} scenarios, ${Math.round((Date.now() - started) / 1000)} s, seed ${seed}: ${failed.length === 0 ? 'all survived' : `${failed.length} row(s) failed`}\n`,
  );
  // The plain closing line CI reads: each row of the table is one check.
  process.stdout.write(`faults: ${all.length - failed.length} passed, ${failed.length} failed\n`);
  return failed.length === 0 ? 0 : 1;
}

// A stray rejection of a scenario's background task must not end the run before its cleanup.
process.on('unhandledRejection', (error) =>
  process.stderr.write(`[faults] unhandled rejection: ${(error as Error).stack ?? String(error)}\n`),
);
process.exitCode = await main(process.argv.slice(2));
