import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReplicatorError } from '../../src/errors/replicator-error.js';
import { continuationJobId, followUpJobId, streamFromSchedulerId, streamLockName, streamSchedulerId } from '../../src/stream/stream-ids.js';
import { parseSyncJobData } from '../../src/jobs/sync/sync-job-data.js';
import { describeStream } from '../../src/stream/stream-key.js';

const stream = { providerConfigKey: 'github', connectionId: 'acme/eu', model: 'GithubIssue', variant: 'base' };

describe('sync job data', () => {
  test('a well-formed job parses; the trigger defaults to manual', () => {
    assert.deepEqual(parseSyncJobData({ ...stream }), { ...stream, trigger: 'manual' });
    assert.deepEqual(parseSyncJobData({ ...stream, trigger: 'webhook' }), { ...stream, trigger: 'webhook' });
  });

  test('a malformed job is a terminal error naming every bad field', () => {
    const refuse = (data: unknown) => {
      try {
        parseSyncJobData(data);
      } catch (error) {
        assert.ok(error instanceof ReplicatorError);
        assert.equal(error.code, 'invalid_job_data');
        assert.equal(error.retry, 'terminal');
        return error.message;
      }
      throw new Error('accepted');
    };
    assert.match(refuse({ providerConfigKey: 'github', model: 'X', variant: 'base' }), /^Invalid job data: connectionId: /);
    assert.match(refuse({ ...stream, connectionId: '' }), /connectionId: Too small/);
    assert.match(refuse({ ...stream, extra: 1 }), /Unrecognized key: "extra"/);
    assert.match(refuse({ ...stream, trigger: 'cron' }), /trigger: /);
    assert.match(refuse('github/acme'), /\(root\)/);
    assert.match(refuse({ ...stream, variant: 'eu::west' }), /variant: must be a sync variant name/);
    assert.match(refuse({ ...stream, variant: 'v'.repeat(256) }), /variant: Too big/);
  });

  test('a message queued before variants (no variant) reads the base variant', () => {
    const { variant: _, ...before } = stream;
    assert.deepEqual(parseSyncJobData(before), { ...stream, variant: 'base', trigger: 'manual' });
    assert.equal(parseSyncJobData({ ...stream, variant: 'eu-west_2' }).variant, 'eu-west_2');
  });
});

describe('names derived from a stream', () => {
  test('scheduler ids round-trip and hold no ":" (BullMQ reserves it in job ids)', () => {
    const id = streamSchedulerId(stream);
    assert.equal(id, 'sync/github/acme%2Feu/GithubIssue');
    assert.deepEqual(streamFromSchedulerId(id), stream);
    assert.equal(streamFromSchedulerId('nightly-report'), null);
    assert.equal(streamFromSchedulerId('sync/a/%E0%A4%A/c'), null);
  });

  test('a stream is described as integration/connection/model, with ::variant for a variant', () => {
    assert.equal(describeStream({ ...stream, connectionId: 'acme' }), 'github/acme/GithubIssue');
    assert.equal(describeStream({ ...stream, connectionId: 'acme', variant: 'v1' }), 'github/acme/GithubIssue::v1');
  });

  test('a variant adds a fifth part to every name; the base keeps the names it had before variants', () => {
    const variant = { ...stream, variant: 'eu/west' };
    const id = streamSchedulerId(variant);
    assert.equal(id, 'sync/github/acme%2Feu/GithubIssue/eu%2Fwest');
    assert.deepEqual(streamFromSchedulerId(id), variant);
    assert.equal(streamLockName(variant), 'stream/github/acme%2Feu/GithubIssue/eu%2Fwest');
    assert.notEqual(continuationJobId(variant, 'j', 'c'), continuationJobId(stream, 'j', 'c'));
    assert.equal(streamFromSchedulerId('sync/github/acme/GithubIssue/base'), null, 'base is never a fifth part');
    assert.equal(streamFromSchedulerId('sync/a/b/c/d/e'), null);
  });

  test('the lock is per stream, shared by every kind of job; a continuation id depends on its parent and cursor', () => {
    assert.equal(streamLockName(stream), 'stream/github/acme%2Feu/GithubIssue');
    const a = continuationJobId(stream, 'repeat:x:1', 'cursor-1');
    assert.equal(a, continuationJobId(stream, 'repeat:x:1', 'cursor-1'), 'a job delivered twice enqueues one continuation');
    assert.notEqual(a, continuationJobId(stream, 'repeat:x:1', 'cursor-2'));
    assert.notEqual(a, continuationJobId(stream, 'repeat:x:2', 'cursor-1'));
    assert.equal(a.includes(':'), false);
  });

  test('one pull mark makes one follow-up job, named after the mark and free of colons', () => {
    const mark = 'host:1 job 7 5f0c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';
    assert.equal(followUpJobId(stream, mark), followUpJobId(stream, mark));
    assert.notEqual(followUpJobId(stream, mark), followUpJobId(stream, `${mark}x`));
    assert.match(followUpJobId(stream, mark), /^sync\/github\/acme%2Feu\/GithubIssue\/pull\/[0-9a-f]{20}$/);
  });
});
