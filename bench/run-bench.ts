/**
 * `npm run bench`: where the write path stands against the physical ceiling of this machine (a COPY of the same
 * rows) and against the loop a user would otherwise write, plus API efficiency, memory and the limiter.
 * Every figure is the median of `--runs` runs. Prints a table and writes the figures as JSON. See
 * docs/performance.md for what each scenario does and how to read it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs, USAGE } from './bench-args.js';
import { type BenchResult, runBench } from './bench-scenarios.js';
import { formatTable, round } from './bench-report.js';
import { FLEET_USAGE, parseFleetArgs, wantsFleetScenario } from './fleet/fleet-args.js';
import { describeMachine, runFleetBench } from './fleet/run-fleet-bench.js';

const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'results');

const argv = process.argv.slice(2);
const args = wantsFleetScenario(argv) ? null : parseBenchArgs(argv);
if (args === null) {
  await fleetMain(argv);
} else if (args.help) {
  process.stdout.write(`${USAGE}\n`);
} else {
  const started = performance.now();
  const log = (line: string) => process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0)}s] ${line}\n`);
  // First Ctrl-C: stop after the run in progress and drop the bench database; a second one exits at once.
  const stop = new AbortController();
  const onSignal = () => {
    if (stop.signal.aborted) process.exit(130);
    log('stopping after the run in progress (again to exit now)');
    stop.abort(new Error('interrupted'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await runBench(args, log, stop.signal);
    process.stdout.write(`${report(result)}\n`);
    const out = args.out ?? join(RESULTS_DIR, `${result.date.replaceAll(':', '-').slice(0, 19)}.json`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, (_, value: unknown) => (value instanceof Set ? [...value] : value), 2)}\n`);
    process.stdout.write(`\nJSON written to ${out} (${((performance.now() - started) / 60_000).toFixed(1)} min in all)\n`);
  } catch (error) {
    if (!stop.signal.aborted) throw error;
    log('interrupted: the bench database is dropped, nothing was written');
    process.exitCode = 130;
  }
}

function report(result: BenchResult): string {
  const m = result.machine;
  const lines = [
    `nango-replicator bench, ${result.date}: ${m.cpus} x ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, ${String(m.postgres).split(' on ')[0]}`,
    `median of ${result.args.runs} run(s) each${result.args.fillfactor === 100 ? '' : `, tables at fillfactor ${result.args.fillfactor}`}` +
      (result.args.cpuProf === null ? '' : `; insert and update syncs CPU-profiled into ${result.args.cpuProf} (a few percent slower)`),
    '',
  ];
  if (result.figures.length > 0) lines.push(formatTable(result.figures), '');
  for (const l of result.limiter) {
    lines.push(
      `limiter: ${l.processes} process(es) x ${l.callersPerProcess} callers: ${l.medianPerSecond.toLocaleString('en-US')} acquisitions/s`,
    );
  }
  if (result.rateLimited !== null) {
    const samples = result.rateLimited;
    const ratios = samples.map((s) => s.elapsedMs / s.idealMs).sort((a, b) => a - b);
    const medianRatio = ratios[Math.floor(ratios.length / 2)] ?? Number.NaN;
    const first = samples[0];
    lines.push(
      `rate-limited: ${result.args.rateRecords.toLocaleString('en-US')} records, page 1000, ${result.args.rateRpm} requests/min: ` +
        `${samples.map((s) => (s.elapsedMs / 1000).toFixed(1)).join(' / ')} s vs ideal ${((first?.idealMs ?? 0) / 1000).toFixed(1)} s ` +
        `(${first?.requests} requests): median ${round(medianRatio, 3)} x ideal; ` +
        `429s received: ${samples.reduce((sum, s) => sum + s.tooManyRequests, 0)}`,
    );
  }
  return lines.join('\n');
}

/** `npm run bench -- --scenario fleet [...]`: the large-fleet scenario of issue 19 (bench/fleet/). */
async function fleetMain(argv: string[]): Promise<void> {
  if (argv.includes('--help')) {
    process.stdout.write(`${FLEET_USAGE}\n`);
    return;
  }
  const fleetArgs = parseFleetArgs(argv);
  const started = performance.now();
  const log = (line: string) => process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0)}s] ${line}\n`);
  const figures = await runFleetBench(fleetArgs, log);
  const streams = fleetArgs.connections * 3;
  const header =
    `fleet bench, ${new Date().toISOString().slice(0, 16)}Z: ${fleetArgs.connections.toLocaleString('en-US')} connections x 3 models = ` +
    `${streams.toLocaleString('en-US')} streams, two workers; ${describeMachine()}`;
  const rows = figures.map((f) => `| ${f.name} | ${f.value} | ${f.target} | ${f.met === null ? '' : f.met ? 'yes' : 'NO'} |`);
  process.stdout.write(`${header}\n\n| figure | value | target | met |\n|---|---|---|---|\n${rows.join('\n')}\n`);
}
