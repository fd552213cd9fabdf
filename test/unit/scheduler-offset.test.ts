import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { schedulerOffsetMs } from '../../src/jobs/discovery/scheduler-offset.js';
import { streamSchedulerId } from '../../src/stream/stream-ids.js';

const HOUR = 3_600_000;
const ids = Array.from({ length: 30_000 }, (_, n) =>
  streamSchedulerId({ providerConfigKey: 'helpdesk', connectionId: `tenant-${n}`, model: 'Ticket', variant: 'base' }),
);

describe('each stream ticks at its own slot in its period', () => {
  test('the slot depends only on the scheduler id and the period, so every process computes the same one', () => {
    const id = ids[7]!;
    assert.equal(schedulerOffsetMs(id, HOUR), schedulerOffsetMs(id, HOUR));
    assert.equal(schedulerOffsetMs(id, HOUR), 3_435_649, 'stable across versions and machines');
    assert.notEqual(schedulerOffsetMs(id, HOUR), schedulerOffsetMs(ids[8]!, HOUR));
  });

  test('a slot lies within the period and is never 0 (which BullMQ reads as no offset)', () => {
    for (const everyMs of [1, 2, 1000, 60_000, HOUR, 86_400_000]) {
      for (const id of ids.slice(0, 2000)) {
        const offset = schedulerOffsetMs(id, everyMs);
        assert.ok(Number.isInteger(offset) && offset >= 1 && (offset < everyMs || everyMs === 1), `${offset} in ${everyMs}`);
      }
    }
  });

  test('30,000 streams on the same period spread evenly over it: no minute of the hour holds more than twice its share', () => {
    const perMinute = new Array<number>(60).fill(0);
    for (const id of ids) perMinute[Math.floor(schedulerOffsetMs(id, HOUR) / 60_000)]! += 1;
    const share = ids.length / 60;
    assert.ok(Math.max(...perMinute) < 2 * share, `busiest minute ${Math.max(...perMinute)} of share ${share}`);
    assert.ok(Math.min(...perMinute) > share / 2, `quietest minute ${Math.min(...perMinute)} of share ${share}`);
  });
});
