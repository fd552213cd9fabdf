import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildProgram, type CliRequest } from '../../src/cli/build-program.js';
import { describeBackfillResult, describeBackfillView } from '../../src/cli/describe-backfill.js';
import { ReplicatorError } from '../../src/errors/replicator-error.js';
import { backfillOnRejectedCursor } from '../../src/jobs/backfill/backfill-on-rejected-cursor.js';
import { type BackfillStreamProgress, createProgressReporter } from '../../src/jobs/backfill/backfill-progress.js';
import type { StreamKey } from '../../src/stream/stream-key.js';
import { captureLogger } from '../helpers/capture-logger.js';

const page = (pages: number, records: number, elapsedMs: number) => ({
  pages,
  records,
  upserted: records,
  deleted: 0,
  valueErrors: 0,
  rejected: 0,
  nulRemoved: 0,
  elapsedMs,
});

describe('backfill progress', () => {
  test('a stream reports pages, records and rate, throttled, and its last figures on flush', async (t) => {
    // The reporter throttles on performance.now(); a mocked clock moves only when the test says so.
    let nowMs = 1000;
    t.mock.method(performance, 'now', () => nowMs);
    const sent: BackfillStreamProgress[] = [];
    const reporter = createProgressReporter(async (p) => void sent.push(p), { minIntervalMs: 50, logger: captureLogger().logger });
    reporter.page(page(1, 100, 500));
    reporter.page(page(2, 200, 1000)); // the first update is still in flight
    await new Promise(setImmediate); // now it has settled
    nowMs += 10;
    reporter.page(page(3, 300, 1500)); // nothing in flight, but within the interval
    await new Promise(setImmediate);
    nowMs += 50;
    reporter.page(page(4, 400, 2000)); // a whole interval later
    reporter.phase('deleting');
    await reporter.flush();
    assert.deepEqual(
      sent.map((p) => `${p.phase} ${p.pages}`),
      ['reading 1', 'reading 4', 'deleting 4'],
      'at most one update per interval, the latest on flush',
    );
    assert.deepEqual(sent.at(-1), {
      phase: 'deleting',
      pages: 4,
      records: 400,
      upserted: 400,
      deleted: 0,
      recordsPerSecond: 200,
      elapsedMs: 2000,
    });
  });

  test('a progress update that fails is logged and does not fail the backfill', async () => {
    const log = captureLogger();
    const reporter = createProgressReporter(async () => Promise.reject(new Error('redis gone')), { minIntervalMs: 0, logger: log.logger });
    reporter.page(page(1, 10, 100));
    await reporter.flush();
    assert.match(log.text(), /could not report backfill progress/);
  });

  test('the live line and the final counts read as a person would say them', () => {
    const view = { state: 'waiting-children', streams: 3, done: 1, failed: 0, running: 2, pages: 12, records: 2345, recordsPerSecond: 410 };
    assert.equal(describeBackfillView('7', view), 'backfill 7: 1/3 streams done, 2 running, 12 pages, 2,345 records (410/s)');
    assert.equal(describeBackfillView('7', { ...view, streams: null, state: 'waiting' }), 'backfill 7: waiting for a worker to take it');
    const stream = { providerConfigKey: 'g', connectionId: 'acme', model: 'Issue', variant: 'base' };
    const text = describeBackfillResult('7', {
      state: 'completed',
      failedReason: null,
      summary: {
        streams: 1,
        merged: 0,
        replaced: 0,
        refused: 1,
        failed: 0,
        pages: 1,
        records: 4,
        upserted: 4,
        deleted: 0,
        unseenDeleted: 0,
        failures: [],
        reports: [
          {
            outcome: 'refused',
            stream,
            mode: 'replace',
            since: null,
            pages: 1,
            records: 4,
            upserted: 4,
            deleted: 0,
            unseenDeleted: 0,
            valueErrors: 0,
            rejected: 0,
            nulRemoved: 0,
            elapsedMs: 9,
            reason: 'refused to delete 6 of 10 rows',
          },
        ],
      },
    });
    assert.equal(
      text,
      'Backfill 7 completed.\n1 stream (1 refused): 1 page, 4 records, 4 upserted, 0 deleted by Nango, 0 deleted as unseen\n' +
        '  g/acme/Issue: refused, 1 page, 4 records, 0 deleted as unseen: refused to delete 6 of 10 rows\n' +
        'Deletes were refused: check the source, then run again with --force to delete anyway.\n',
    );
  });

  test('the command line asks for a backfill with the defaults filled in', async () => {
    const requests: CliRequest[] = [];
    const program = buildProgram(async (r) => void requests.push(r), { writeOut: () => {}, writeErr: () => {} });
    await program.parseAsync(['backfill', '-i', 'github', '--since', '2026-06-01'], { from: 'user' });
    await program.parseAsync(['backfill', '-i', 'github', '-c', 'acme', '-m', 'Issue', '--mode', 'replace', '--force', '--wait'], {
      from: 'user',
    });
    assert.deepEqual(requests, [
      {
        command: 'backfill',
        providerConfigKey: 'github',
        connectionId: undefined,
        model: undefined,
        variant: undefined,
        since: '2026-06-01',
        mode: 'merge',
        force: false,
        wait: false,
        json: false,
      },
      {
        command: 'backfill',
        providerConfigKey: 'github',
        connectionId: 'acme',
        model: 'Issue',
        variant: undefined,
        since: undefined,
        mode: 'replace',
        force: true,
        wait: true,
        json: false,
      },
    ]);
  });
});

describe('a sync job failing on a rejected cursor', () => {
  const stream: StreamKey = { providerConfigKey: 'g', connectionId: 'acme', model: 'Issue', variant: 'base' };
  const job = { id: '1', data: { ...stream, trigger: 'schedule' }, attemptsMade: 0, attempts: 5 };

  test('schedules a replace backfill of its stream and still fails with its own error', async () => {
    const scheduled: Array<[StreamKey, string]> = [];
    const rejected = new ReplicatorError('cursor_rejected', 'Nango answered 500', { retry: 'terminal' });
    const wrapped = backfillOnRejectedCursor(async () => Promise.reject(rejected), {
      schedule: async (s, reason) => void scheduled.push([s, reason]),
      logger: captureLogger().logger,
    });
    await assert.rejects(wrapped(job, new AbortController().signal), (error) => error === rejected);
    assert.deepEqual(scheduled, [[stream, 'cursor_rejected: Nango keeps answering 500 to the stored cursor']]);
  });

  test("other failures schedule nothing; a failure to schedule does not hide the job's own", async () => {
    const scheduled: StreamKey[] = [];
    const other = new ReplicatorError('nango_server_error', '502', { retry: 'transient' });
    const log = captureLogger();
    const deps = { schedule: async (s: StreamKey) => void scheduled.push(s), logger: log.logger };
    await assert.rejects(
      backfillOnRejectedCursor(async () => Promise.reject(other), deps)(job, new AbortController().signal),
      (e) => e === other,
    );
    assert.deepEqual(scheduled, []);

    const rejected = new ReplicatorError('cursor_rejected', 'Nango answered 500', { retry: 'terminal' });
    const failing = { schedule: async () => Promise.reject(new Error('redis gone')), logger: log.logger };
    await assert.rejects(
      backfillOnRejectedCursor(async () => Promise.reject(rejected), failing)(job, new AbortController().signal),
      (e) => e === rejected,
    );
    assert.match(log.text(), /could not schedule a backfill after a rejected cursor/);
  });
});
