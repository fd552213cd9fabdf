import { createHash } from 'node:crypto';

/**
 * Where in its period a stream's scheduled ticks fall: a hash of the scheduler id modulo `everyMs`, at least 1 ms
 * (BullMQ reads 0 as "no offset"), passed as the scheduler's `offset`. Deterministic, so every process computes the
 * same one and a re-run of discovery changes nothing; spread evenly over the period across a fleet, so 30,000
 * streams on `every: 1h` tick about 8 a second instead of all in the minute discovery created them
 * (docs/decisions/0012-adaptive-polling-schedule.md, spreading the ticks). Pure.
 * @param schedulerId the stream's scheduler id (`streamSchedulerId`)
 * @param everyMs its period, ms (a positive integer)
 * @returns the offset, ms, in [1, everyMs) (1 when `everyMs` is 1)
 */
export function schedulerOffsetMs(schedulerId: string, everyMs: number): number {
  // 48 bits of SHA-256: uniform, and exact in a double; the modulo's bias is below 1e-6 for any period up to a day.
  const hash = createHash('sha256').update(schedulerId).digest().readUIntBE(0, 6);
  return Math.max(1, hash % everyMs);
}
