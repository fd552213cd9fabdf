/** One row of the result: a scenario's runs and what they come to. */
export interface Figure {
  scenario: string;
  records: number;
  /** Elapsed ms of every run. */
  runsMs: number[];
  medianMs: number;
  recordsPerSecond: number;
  /**
   * Records/s over the ceiling's, and over the naive peer's (filled in once both are known). Where the ceiling ran
   * just before each run (`ceilingRunsMs`), the median of the runs' own ratios; otherwise the ratio of the medians.
   */
  vsCeiling: number | null;
  vsNaive: number | null;
  /**
   * Elapsed ms of the ceiling run made just before each run, in the order of `runsMs`, or null. Pairing each run with
   * a ceiling measured moments before it keeps the machine's drift over a bench of ten minutes out of the ratio.
   */
  ceilingRunsMs: number[] | null;
  /** Requests the sync sent per run (median), `GET /records` only, and the minimum ceil(N / pageSize). */
  recordRequests: number | null;
  allRequests: number | null;
  minimumRequests: number | null;
  /** Largest peak RSS of the sync process over the runs, bytes. */
  peakRssBytes: number | null;
  /** CPU time of the sync process (user + system), median over the runs, ms: what the sync costs besides Postgres. */
  syncCpuMs: number | null;
  /** CPU time of the local Postgres processes over the timed part, median over the runs, ms (see postgres-cpu.ts). */
  postgresCpuMs: number | null;
  /**
   * CPU time of the bench process over the timed part, median over the runs, ms: the stand-in serving a sync, or the
   * ceiling encoding its rows.
   */
  benchCpuMs: number | null;
  /**
   * The machine's cores kept busy, median over the runs: the CPU of the sync, Postgres and the bench process over
   * the elapsed time (2.0 on two cores is all of them). Null where Postgres' CPU cannot be read.
   */
  coresBusy: number | null;
  /** Rows the sync wrote, median over the runs (update: every record; re-read of unchanged records: 0). */
  rowsWritten?: number | null;
  /** WAL written over the sync, median over the runs, bytes (the whole server's: other sessions count too). */
  walBytes?: number | null;
}

/** One timed run's elapsed time and the CPU spent meanwhile, ms (null: not measured; no `syncCpuMs`: no sync ran). */
export interface CpuSample {
  elapsedMs: number;
  syncCpuMs?: number;
  postgresCpuMs: number | null;
  benchCpuMs: number;
}

/** The CPU columns of a figure from its runs: each the median over the runs (see {@link Figure}). */
export function cpuFigures(samples: ReadonlyArray<CpuSample>): Pick<Figure, 'syncCpuMs' | 'postgresCpuMs' | 'benchCpuMs' | 'coresBusy'> {
  const sync = samples.map((s) => s.syncCpuMs ?? null);
  const postgres = samples.map((s) => s.postgresCpuMs);
  const busy = postgres.some((ms) => ms === null)
    ? null
    : round(median(samples.map((s) => ((s.syncCpuMs ?? 0) + (s.postgresCpuMs ?? 0) + s.benchCpuMs) / s.elapsedMs)), 2);
  return {
    syncCpuMs: sync.every((ms) => ms === null) ? null : medianOrNull(sync),
    postgresCpuMs: medianOrNull(postgres),
    benchCpuMs: medianOrNull(samples.map((s) => s.benchCpuMs)),
    coresBusy: busy,
  };
}

export function median(values: ReadonlyArray<number>): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The median, rounded, or null if any sample is null (a figure that could not be read in every run). */
export function medianOrNull(values: ReadonlyArray<number | null>): number | null {
  return values.some((v) => v === null) ? null : Math.round(median(values as number[]));
}

export function figure(scenario: string, records: number, runsMs: number[], extra: Partial<Figure> = {}): Figure {
  const medianMs = median(runsMs);
  return {
    scenario,
    records,
    runsMs: runsMs.map((ms) => Math.round(ms)),
    medianMs: Math.round(medianMs),
    recordsPerSecond: Math.round(records / (medianMs / 1000)),
    vsCeiling: null,
    vsNaive: null,
    ceilingRunsMs: null,
    recordRequests: null,
    allRequests: null,
    minimumRequests: null,
    peakRssBytes: null,
    syncCpuMs: null,
    postgresCpuMs: null,
    benchCpuMs: null,
    coresBusy: null,
    ...extra,
  };
}

/**
 * Fills in the ratios of every figure to the ceiling and to the naive peer, when they were measured. A figure whose
 * runs were each paired with a ceiling run (`ceilingRunsMs`) is compared run by run: the median of ceiling time over
 * its time (the same records), so a run is set against the ceiling of its own minute.
 */
export function withRatios(figures: Figure[], ceiling: Figure | undefined, naive: Figure | undefined): Figure[] {
  return figures.map((f) => ({
    ...f,
    vsCeiling: ceiling ? round(vsCeiling(f, ceiling), 2) : null,
    vsNaive: naive ? round(f.recordsPerSecond / naive.recordsPerSecond, 1) : null,
  }));
}

function vsCeiling(f: Figure, ceiling: Figure): number {
  const paired = f.ceilingRunsMs;
  if (paired === null || paired.length !== f.runsMs.length || f.records !== ceiling.records)
    return f.recordsPerSecond / ceiling.recordsPerSecond;
  return median(f.runsMs.map((ms, i) => (paired[i] as number) / ms));
}

/** A Markdown table, so the same text reads on a terminal and in docs/performance.md. */
export function formatTable(figures: ReadonlyArray<Figure>): string {
  const header = [
    'scenario',
    'records',
    'median s',
    'records/s',
    'x ceiling',
    'x naive',
    'GET /records (min), per 1000',
    'peak RSS',
    'sync CPU s',
    'Postgres CPU s',
    'bench CPU s',
    'cores busy',
    'rows written',
    'WAL MB',
  ];
  const rows = figures.map((f) => [
    f.scenario,
    f.records.toLocaleString('en-US'),
    (f.medianMs / 1000).toFixed(2),
    f.recordsPerSecond.toLocaleString('en-US'),
    f.vsCeiling === null ? '' : f.vsCeiling.toFixed(2),
    f.vsNaive === null ? '' : f.vsNaive.toFixed(1),
    f.recordRequests === null ? '' : `${f.recordRequests} (${f.minimumRequests}), ${round((f.recordRequests * 1000) / f.records, 3)}`,
    f.peakRssBytes === null ? '' : `${Math.round(f.peakRssBytes / 2 ** 20)} MB`,
    f.syncCpuMs === null ? '' : (f.syncCpuMs / 1000).toFixed(2),
    f.postgresCpuMs === null ? '' : (f.postgresCpuMs / 1000).toFixed(2),
    f.benchCpuMs === null ? '' : (f.benchCpuMs / 1000).toFixed(2),
    f.coresBusy === null ? '' : f.coresBusy.toFixed(2),
    f.rowsWritten === null || f.rowsWritten === undefined ? '' : f.rowsWritten.toLocaleString('en-US'),
    f.walBytes === null || f.walBytes === undefined ? '' : (f.walBytes / 2 ** 20).toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
