import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { ReplicatorError } from '../../src/errors/replicator-error.js';

const load = (yaml: string) => loadConfig({ env: { REPLICATOR_CONFIG: 'test.yaml' }, readTextFile: () => yaml });

describe('backfill configuration', () => {
  test('defaults: two backfill jobs per process, half the API budget, deletes refused above half a stream', () => {
    assert.deepEqual(load('').backfill, { concurrency: 2, budgetShare: 0.5, maxDeleteFraction: 0.5 });
  });

  test('the documented keys are read as written', () => {
    const config = load('backfill:\n  concurrency: 1\n  budgetShare: 0.2\n  maxDeleteFraction: 0.1\n');
    assert.deepEqual(config.backfill, { concurrency: 1, budgetShare: 0.2, maxDeleteFraction: 0.1 });
  });

  test('values out of range are refused, naming the key', () => {
    for (const [yaml, key] of [
      ['backfill:\n  budgetShare: 0\n', 'backfill.budgetShare'],
      ['backfill:\n  budgetShare: 1.5\n', 'backfill.budgetShare'],
      ['backfill:\n  maxDeleteFraction: 2\n', 'backfill.maxDeleteFraction'],
      ['backfill:\n  concurrency: 0\n', 'backfill.concurrency'],
      ['backfill:\n  maxDeletes: 0.5\n', 'backfill'],
    ] as const) {
      assert.throws(
        () => load(yaml),
        (error) => error instanceof ReplicatorError && error.code === 'invalid_config' && error.message.includes(key),
        yaml,
      );
    }
  });
});
