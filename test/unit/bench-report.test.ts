import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseBenchArgs, SCENARIOS } from '../../bench/bench-args.js';
import { cpuFigures, figure, formatTable, median, medianOrNull, withRatios } from '../../bench/bench-report.js';

// The bench's result is its ratios: these check the arithmetic a reader of its table relies on.
describe('bench report', () => {
  test('median: the middle run, the mean of the two middle ones for an even count, whatever the order', () => {
    assert.equal(median([9, 1, 5]), 5);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
    assert.equal(medianOrNull([10.4, 30, 20]), 20);
    assert.equal(medianOrNull([10, null, 20]), null, 'a figure not read in every run is not shown');
  });

  test('a figure is the median run; ratios are to the ceiling and to the naive peer of the same run', () => {
    const ceiling = figure('ceiling: COPY', 200_000, [5000, 4000, 6000]);
    const naive = figure('naive peer', 20_000, [10_000, 10_000, 10_000]);
    const insert = figure('insert, page 10000', 200_000, [8100, 7900, 8000]);
    assert.equal(insert.medianMs, 8000);
    assert.equal(insert.recordsPerSecond, 25_000);
    const [c, i, n] = withRatios([ceiling, insert, naive], ceiling, naive);
    assert.equal(c?.vsCeiling, 1);
    assert.equal(i?.vsCeiling, 0.63, '25,000 against 40,000 records/s');
    assert.equal(i?.vsNaive, 12.5, '25,000 against 2,000 records/s');
    assert.equal(n?.vsNaive, 1);
    assert.deepEqual(
      withRatios([insert], undefined, undefined).map((f) => [f.vsCeiling, f.vsNaive]),
      [[null, null]],
      'no yardstick measured, no ratio',
    );
  });

  test("a run paired with a ceiling run of its own is compared with that one: the median of the runs' ratios", () => {
    // The machine was slower while the last ceiling run and the first two product runs ran: each product run took
    // twice its own ceiling, where the ratio of the medians (4000 against 10,000 ms) would say 0.4 x.
    const ceiling = figure('ceiling: COPY', 200_000, [4000, 4000, 4000, 6000]);
    const paired = figure('insert, page 1000', 200_000, [12_000, 12_000, 8000, 8000], { ceilingRunsMs: [6000, 6000, 4000, 4000] });
    const unpaired = figure('insert, page 1000', 200_000, [12_000, 12_000, 8000, 8000]);
    const [c, p, u] = withRatios([ceiling, paired, unpaired], ceiling, undefined);
    assert.equal(c?.vsCeiling, 1);
    assert.equal(p?.vsCeiling, 0.5);
    assert.equal(u?.vsCeiling, 0.4, 'without pairs: 20,000 against 50,000 records/s');
    const odd = figure('insert, page 1000', 200_000, [12_000, 8000], { ceilingRunsMs: [6000] });
    assert.equal(withRatios([odd], ceiling, undefined)[0]?.vsCeiling, 0.4, 'pairs that do not match the runs are not used');
  });

  test('CPU columns: medians of the runs; cores busy is the CPU of the sync, Postgres and the bench over the elapsed time', () => {
    const cpu = cpuFigures([
      { elapsedMs: 1000, syncCpuMs: 500, postgresCpuMs: 700, benchCpuMs: 100 },
      { elapsedMs: 2000, syncCpuMs: 1000, postgresCpuMs: 1600, benchCpuMs: 400 },
      { elapsedMs: 1000, syncCpuMs: 200, postgresCpuMs: 300, benchCpuMs: 100 },
    ]);
    assert.deepEqual(cpu, { syncCpuMs: 500, postgresCpuMs: 700, benchCpuMs: 100, coresBusy: 1.3 }, 'runs at 1.3, 1.5 and 0.6 cores');
    assert.deepEqual(
      cpuFigures([{ elapsedMs: 1000, postgresCpuMs: 900, benchCpuMs: 800 }]),
      { syncCpuMs: null, postgresCpuMs: 900, benchCpuMs: 800, coresBusy: 1.7 },
      'the ceiling has no sync process',
    );
    assert.deepEqual(
      cpuFigures([{ elapsedMs: 1000, syncCpuMs: 500, postgresCpuMs: null, benchCpuMs: 100 }]),
      { syncCpuMs: 500, postgresCpuMs: null, benchCpuMs: 100, coresBusy: null },
      'unknown without Postgres',
    );
  });

  test('the table shows every column of a product row, and leaves unmeasured cells empty', () => {
    const insert = figure('insert, page 10000', 200_000, [8000], {
      recordRequests: 20,
      allRequests: 21,
      minimumRequests: 20,
      peakRssBytes: 240 * 2 ** 20,
      syncCpuMs: 4340,
      postgresCpuMs: 5220,
      benchCpuMs: 820,
      coresBusy: 1.3,
    });
    const [head, rule, row, naive] = formatTable([insert, figure('naive peer', 20_000, [10_000])]).split('\n');
    const cells = (line: string | undefined) =>
      (line ?? '')
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
    assert.deepEqual(cells(head), [
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
    ]);
    assert.match(rule ?? '', /^\|-+(\|-+)+\|$/);
    assert.deepEqual(cells(row), [
      'insert, page 10000',
      '200,000',
      '8.00',
      '25,000',
      '',
      '',
      '20 (20), 0.1',
      '240 MB',
      '4.34',
      '5.22',
      '0.82',
      '1.30',
      '',
      '',
    ]);
    assert.deepEqual(cells(naive).slice(0, 4), ['naive peer', '20,000', '10.00', '2,000']);
    assert.ok(
      cells(naive)
        .slice(4)
        .every((c) => c === ''),
    );
  });
});

describe('bench arguments', () => {
  test('defaults: every scenario, 200,000 records, three runs, pages of 10000 and 1000', () => {
    const args = parseBenchArgs([]);
    assert.deepEqual([...args.scenarios], [...SCENARIOS]);
    assert.deepEqual(
      [args.records, args.runs, args.pageSizes, args.fillfactor, args.out, args.cpuProf],
      [200_000, 3, [10_000, 1000], 100, null, null],
    );
  });

  test('--scenarios then --skip choose what runs', () => {
    const args = parseBenchArgs(['--scenarios', 'ceiling,insert,update', '--skip', 'update', '--page-sizes', '500']);
    assert.deepEqual([...args.scenarios], ['ceiling', 'insert']);
    assert.deepEqual(args.pageSizes, [500]);
  });

  test('a wrong value names the option, what it accepts and what it got, with the usage', () => {
    assert.throws(() => parseBenchArgs(['--runs', '0']), /--runs must be an integer from 1 to \d+, got "0"\nnpm run bench/);
    assert.throws(() => parseBenchArgs(['--page-sizes', '20000']), /--page-sizes must be an integer from 1 to 10000, got "20000"/);
    assert.throws(() => parseBenchArgs(['--fillfactor', '5']), /--fillfactor must be an integer from 10 to 100, got "5"/);
    assert.throws(
      () => parseBenchArgs(['--scenarios', 'ceiling,copy']),
      /unknown scenario "copy"; known: ceiling, insert, update, reread, naive, limiter, rate-limited/,
    );
  });
});
