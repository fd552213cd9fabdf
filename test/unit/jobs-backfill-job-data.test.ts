import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReplicatorError } from '../../src/errors/replicator-error.js';
import { MODIFIED_AFTER_LOOKBACK_MS, modifiedAfterOf, parseBackfillJobData } from '../../src/jobs/backfill/backfill-job-data.js';
import {
  backfillStreamJobId,
  parseBackfillStreamJobData,
  streamOfBackfillJobKey,
} from '../../src/jobs/backfill/backfill-stream-job-data.js';
import { summarizeBackfill } from '../../src/jobs/backfill/summarize-backfill.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const refuse = (data: unknown, nowMs = NOW): string => {
  try {
    parseBackfillJobData(data, nowMs);
  } catch (error) {
    assert.ok(error instanceof ReplicatorError);
    assert.equal(error.code, 'invalid_job_data');
    assert.equal(error.retry, 'terminal');
    return error.message;
  }
  throw new Error('accepted');
};

describe('backfill messages', () => {
  test('only the integration is required; no variant means every variant, mode defaults to merge and force to false', () => {
    assert.deepEqual(parseBackfillJobData({ providerConfigKey: 'github' }, NOW), {
      providerConfigKey: 'github',
      mode: 'merge',
      force: false,
    });
    const full = {
      providerConfigKey: 'github',
      connectionId: 'acme',
      model: 'GithubIssue',
      variant: 'eu-west',
      mode: 'replace',
      force: true,
      reason: 'schema change',
    };
    assert.deepEqual(parseBackfillJobData(full, NOW), full);
  });

  test('since takes Z, an offset or a date, and is sent in UTC Z form', () => {
    const at = (since: string) =>
      modifiedAfterOf(parseBackfillJobData({ providerConfigKey: 'g', since }, NOW).since ?? '', NOW).toISOString();
    assert.equal(at('2026-06-01T10:00:00Z'), '2026-06-01T10:00:00.000Z');
    assert.equal(at('2026-06-01T10:00:00.123456+02:00'), '2026-06-01T08:00:00.123Z');
    assert.equal(at('2026-06-01'), '2026-06-01T00:00:00.000Z');
  });

  test('since older than 12 months is refused before anything is sent, saying why', () => {
    const limit = new Date(NOW - MODIFIED_AFTER_LOOKBACK_MS);
    assert.doesNotThrow(() => parseBackfillJobData({ providerConfigKey: 'g', since: limit.toISOString() }, NOW));
    const older = new Date(limit.getTime() - 1).toISOString();
    assert.match(
      refuse({ providerConfigKey: 'g', since: older }),
      /since: must be within the last 12 months, as Nango refuses an older modified_after/,
    );
  });

  test('a message that does not fit names every bad field', () => {
    assert.match(refuse({ connectionId: 'acme' }), /^Invalid backfill message: providerConfigKey: /);
    assert.match(refuse({ providerConfigKey: 'g', mode: 'purge' }), /mode: Invalid option/);
    assert.match(refuse({ providerConfigKey: 'g', connectionId: '' }), /connectionId: Too small/);
    assert.match(refuse({ providerConfigKey: 'g', conection: 'acme' }), /Unrecognized key: "conection"/);
    assert.match(refuse({ providerConfigKey: 'g', since: '2026-13-01' }), /since: must be an ISO timestamp/);
    assert.match(refuse({ providerConfigKey: 'g', since: '2026-10-01', mode: 'replace' }), /since: cannot be used with mode "replace"/);
    assert.match(refuse('github'), /\(root\): Invalid input: expected object/);
  });

  test('a stream job id is deterministic per parent and names its stream, whatever characters it holds', () => {
    const stream = { providerConfigKey: 'git:hub', connectionId: 'acme/eu 1', model: 'Issue', variant: 'base' };
    const id = backfillStreamJobId('42', stream);
    assert.equal(id, backfillStreamJobId('42', stream));
    assert.notEqual(id, backfillStreamJobId('43', stream));
    assert.equal(id.includes(':'), false);
    assert.deepEqual(streamOfBackfillJobKey(`bull:nango-backfill:${id}`), stream);
    assert.equal(streamOfBackfillJobKey('bull:nango-backfill:17'), null);
    assert.throws(() => parseBackfillStreamJobData({ ...stream, mode: 'merge' }), /force: /);
  });

  test('a summary adds up the finished streams and lists the failed ones', () => {
    const report = (outcome: string, records: number, unseenDeleted = 0) => ({
      outcome,
      stream: { providerConfigKey: 'g', connectionId: 'c', model: 'M', variant: 'base' },
      mode: 'replace',
      pages: 2,
      records,
      upserted: records,
      deleted: 1,
      unseenDeleted,
    });
    const summary = summarizeBackfill(
      4,
      { 'bull:q:a': report('replaced', 10, 3), 'bull:q:b': report('refused', 5), 'bull:q:c': report('merged', 7) },
      {
        [`bull:q:${backfillStreamJobId('1', { providerConfigKey: 'g', connectionId: 'x', model: 'M', variant: 'base' })}`]:
          'Nango has no connection "x"',
      },
    );
    assert.deepEqual(
      [
        summary.streams,
        summary.replaced,
        summary.refused,
        summary.merged,
        summary.failed,
        summary.records,
        summary.pages,
        summary.deleted,
        summary.unseenDeleted,
      ],
      [4, 1, 1, 1, 1, 22, 6, 3, 3],
    );
    assert.deepEqual(summary.failures, [
      { stream: { providerConfigKey: 'g', connectionId: 'x', model: 'M', variant: 'base' }, reason: 'Nango has no connection "x"' },
    ]);
  });
});
