import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cliLogLevel } from '../../src/cli/cli-log-level.js';
import { createRateMeter } from '../../src/cli/create-rate-meter.js';
import { describeBackfillView } from '../../src/cli/describe-backfill.js';
import { formatCountOf } from '../../src/util/format-count.js';

describe('what the command line prints', () => {
  test('counts agree with their nouns: 1 record, 0 records, 1,200 records', () => {
    assert.equal(formatCountOf(1, 'record'), '1 record');
    assert.equal(formatCountOf(0, 'record'), '0 records');
    assert.equal(formatCountOf(1200, 'record'), '1,200 records');
    assert.equal(formatCountOf(1, 'value error'), '1 value error');
    assert.equal(formatCountOf(2, 'value error'), '2 value errors');
  });

  test('a backfill progress line shows the rate records arrive at, and no rate before there is one', () => {
    const view = { state: 'waiting-children', streams: 2, done: 0, failed: 0, running: 1, pages: 1, records: 1, recordsPerSecond: null };
    assert.equal(describeBackfillView('3', view), 'backfill 3: 0/2 streams done, 1 running, 1 page, 1 record');
    assert.equal(
      describeBackfillView('3', { ...view, records: 900, recordsPerSecond: 450 }),
      'backfill 3: 0/2 streams done, 1 running, 1 page, 900 records (450/s)',
    );
  });

  test('the backfill rate is the records read over the last seconds, finished streams included', () => {
    const rate = createRateMeter(5000);
    assert.equal(rate(0, 0), null, 'one look is not a rate');
    assert.equal(rate(500, 500), 1000);
    assert.equal(rate(1000, 1000), 1000);
    // A stream finished between two looks: its records moved from "running" to "done", the total still grows.
    assert.equal(rate(1000, 6000), 0, 'nothing read for five seconds reads 0/s');
    assert.equal(rate(3000, 7000), 2000 / 6, 'over the six seconds since the newest look at least five seconds old');
    assert.equal(rate(3000, 11000), 400, 'the window forgets what is older than that');
    assert.equal(rate(500, 12000), 0, 'a total that went down (an attempt started over) is not a negative rate');
  });

  test('on a terminal, sync and backfill log at warn unless LOG_LEVEL is set; the worker and pipes keep the default', () => {
    const config = { logLevel: 'info' as const };
    assert.equal(cliLogLevel('sync', config, {}, true), 'warn');
    assert.equal(cliLogLevel('backfill', config, { LOG_LEVEL: '' }, true), 'warn');
    assert.equal(cliLogLevel('sync', config, {}, false), 'info');
    assert.equal(cliLogLevel('worker', config, {}, true), 'info');
    assert.equal(cliLogLevel('sync', { logLevel: 'debug' }, { LOG_LEVEL: 'debug' }, true), 'debug', 'LOG_LEVEL wins');
  });
});
