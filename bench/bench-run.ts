import type { BenchArgs } from './bench-args.js';
import type { BenchDatabase } from './bench-database.js';
import type { CompiledChildren } from './compile-children.js';

/** What every scenario of one `npm run bench` shares. */
export interface BenchRun {
  args: BenchArgs;
  log: (line: string) => void;
  /** Checked between runs: an interrupted bench still drops its database and closes the stand-in. */
  signal?: AbortSignal;
  children: CompiledChildren;
  database: BenchDatabase;
}

/** Runs `fn` `args.runs` times in sequence (bounded), logging each run. */
export async function repeat<T>(
  run: BenchRun,
  label: string,
  fn: () => Promise<T>,
  describe: (sample: T) => string = seconds,
): Promise<T[]> {
  const samples: T[] = [];
  for (let i = 1; i <= run.args.runs; i++) {
    run.signal?.throwIfAborted();
    const sample = await fn();
    run.log(`${label}: run ${i}/${run.args.runs} ${describe(sample)}`);
    samples.push(sample);
  }
  return samples;
}

function seconds(sample: unknown): string {
  return formatSeconds((sample as { elapsedMs: number }).elapsedMs);
}

/** Milliseconds as the run log shows them: `4.26 s`. */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}
