import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { withDeadline } from '../../src/util/with-deadline.js';

describe('withDeadline: work settles, or the deadline decides', () => {
  test('work that settles in time gives its value, and its failure stays its failure', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    assert.equal(await withDeadline(Promise.resolve('done'), 1000, () => 'late'), 'done');
    await assert.rejects(
      withDeadline(Promise.reject(new Error('broken')), 1000, () => 'late'),
      /broken/,
    );
  });

  test('work still pending at the deadline gives what onTimeout returns or throws; a late failure is no unhandled rejection', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let fail!: (error: Error) => void;
    const pending = new Promise<string>((_resolve, reject) => (fail = reject));
    const late = withDeadline(pending, 1000, () => 'late' as const);
    t.mock.timers.tick(1000);
    assert.equal(await late, 'late');
    fail(new Error('after the deadline'));

    const thrown = withDeadline(new Promise(() => {}), 50, () => {
      throw new Error('no answer within 50 ms');
    });
    t.mock.timers.tick(50);
    await assert.rejects(thrown, /no answer within 50 ms/);
  });
});
