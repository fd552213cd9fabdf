import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkIsoTimestamp } from '../../src/schema/check-iso-timestamp.js';
import { type CoerceResult, coerceValue } from '../../src/schema/coerce-value.js';
import { COLUMN_TYPES, type ColumnType } from '../../src/schema/column-type.js';

function reason(result: CoerceResult): string {
  assert.equal(result.ok, false, 'expected a rejection');
  return result.ok ? '' : result.reason;
}

function accepted(type: ColumnType, value: unknown): unknown {
  const result = coerceValue(type, value);
  assert.ok(result.ok, `${type} rejected ${String(value)}: ${result.ok ? '' : result.reason}`);
  return result.value;
}

describe('coerceValue', () => {
  it('stores null and a missing value as NULL for every column type', () => {
    for (const type of COLUMN_TYPES) {
      assert.deepEqual(coerceValue(type, null), { ok: true, value: null });
      assert.deepEqual(coerceValue(type, undefined), { ok: true, value: null });
    }
  });

  it('text takes strings, including empty ones, and nothing else', () => {
    assert.equal(accepted('text', ''), '');
    assert.equal(accepted('text', 'héllo'), 'héllo');
    assert.equal(reason(coerceValue('text', 42)), 'expected a string, got number 42');
    assert.equal(reason(coerceValue('text', true)), 'expected a string, got boolean true');
    assert.equal(reason(coerceValue('text', { a: 1 })), 'expected a string, got object');
    assert.equal(reason(coerceValue('text', ['a'])), 'expected a string, got array');
  });

  it('timestamptz keeps the original string so Postgres sees every fractional digit and the offset', () => {
    for (const value of [
      '2023-09-18T15:20:35.941305+00:00',
      '2024-02-01T09:09:03.502Z',
      '2024-02-01T11:59:51+00:00',
      '2024-02-01T11:59:51-05:00',
      '2024-02-01T11:59:51+0530',
      '2024-02-01T11:59:51+05',
      '2024-02-01T11:59:51.123456789Z',
      '2024-02-01t11:59:51z',
      '2024-02-01 11:59:51',
      '2024-02-01T11:59',
      '2024-02-29',
      '2000-02-29T00:00:00Z',
      '0001-01-01T00:00:00Z',
      '9999-12-31T23:59:59.999999Z',
      '2024-01-01T00:00:00+15:59',
    ]) {
      assert.equal(accepted('timestamptz', value), value);
    }
  });

  it('timestamptz rejects a string that is not a date-time, quoting it', () => {
    assert.equal(reason(coerceValue('timestamptz', 'yesterday')), 'expected an ISO-8601 date-time, got string "yesterday" (not ISO-8601)');
  });

  it('timestamptz rejects dates that do not exist on the calendar', () => {
    assert.match(reason(coerceValue('timestamptz', '2024-02-30')), /day out of range/);
    assert.match(reason(coerceValue('timestamptz', '2023-02-29T00:00:00Z')), /day out of range/);
    assert.match(reason(coerceValue('timestamptz', '1900-02-29')), /day out of range/);
    assert.match(reason(coerceValue('timestamptz', '2024-04-31')), /day out of range/);
    assert.match(reason(coerceValue('timestamptz', '2024-13-01')), /month out of range/);
    assert.match(reason(coerceValue('timestamptz', '2024-00-10')), /month out of range/);
    assert.match(reason(coerceValue('timestamptz', '2024-01-00')), /day out of range/);
    assert.match(reason(coerceValue('timestamptz', '0000-01-01')), /year out of range/);
  });

  it('timestamptz rejects impossible times and offsets Postgres would refuse', () => {
    assert.match(reason(coerceValue('timestamptz', '2024-01-01T24:00:00Z')), /hour out of range/);
    assert.match(reason(coerceValue('timestamptz', '2024-01-01T23:60:00Z')), /minute out of range/);
    assert.match(reason(coerceValue('timestamptz', '2024-01-01T23:59:60Z')), /second out of range/);
    assert.match(reason(coerceValue('timestamptz', '2024-01-01T00:00:00+16:00')), /offset out of range/);
    assert.match(reason(coerceValue('timestamptz', '2024-01-01T00:00:00+05:60')), /offset out of range/);
  });

  it('timestamptz rejects malformed and ambiguous forms', () => {
    for (const value of [
      '',
      '2024',
      '2024-1-01',
      '2024-01-1',
      '20240101',
      '2024/01/01',
      '+02024-01-01',
      '-2024-01-01',
      '12024-01-01',
      '2024-01-01T',
      '2024-01-01T1:00',
      '2024-01-01T10',
      '2024-01-01T10:00:',
      '2024-01-01T10:00:0',
      '2024-01-01T10:00:00.',
      '2024-01-01T10:00:00.1234567890Z',
      '2024-01-01T10:00:00ZZ',
      '2024-01-01T10:00:00 Z',
      '2024-01-01T10:00:00+1',
      '2024-01-01T10:00:00+01:',
      '2024-01-01T10:00:00+01:0',
      '2024-01-01T10:00:00+01:000',
      ' 2024-01-01',
      '2024-01-01 ',
      '2024-01-01X10:00',
      '2024-01-01T10:00:00 UTC',
      '１２３４-01-01',
      'Mon, 01 Jan 2024 10:00:00 GMT',
      '1704103200',
    ]) {
      assert.equal(coerceValue('timestamptz', value).ok, false, value);
    }
  });

  it('timestamptz rejects non-strings, including epoch numbers and Date objects', () => {
    assert.equal(reason(coerceValue('timestamptz', 1704103200000)), 'expected an ISO-8601 date-time string, got number 1704103200000');
    assert.equal(reason(coerceValue('timestamptz', new Date(0))), 'expected an ISO-8601 date-time string, got object');
  });

  it('bigint takes safe integers only; a numeric string is text, so it is rejected', () => {
    assert.equal(accepted('bigint', 0), 0);
    assert.equal(accepted('bigint', -42), -42);
    assert.equal(accepted('bigint', Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER);
    assert.equal(accepted('bigint', Number.MIN_SAFE_INTEGER), Number.MIN_SAFE_INTEGER);
    assert.equal(reason(coerceValue('bigint', '42')), 'expected an integer, got string "42"');
    assert.equal(reason(coerceValue('bigint', 1.5)), 'expected an integer, got number 1.5');
    assert.equal(reason(coerceValue('bigint', 2 ** 53)), 'expected an integer within ±(2^53-1), got number 9007199254740992');
    assert.equal(reason(coerceValue('bigint', Number.NaN)), 'expected an integer, got number NaN');
    assert.equal(reason(coerceValue('bigint', Infinity)), 'expected an integer, got number Infinity');
    assert.equal(reason(coerceValue('bigint', 10n)), 'expected an integer, got bigint 10');
  });

  it('double precision takes finite numbers only', () => {
    assert.equal(accepted('double precision', 1.5), 1.5);
    assert.equal(accepted('double precision', -0), -0);
    assert.equal(accepted('double precision', 1e308), 1e308);
    assert.equal(reason(coerceValue('double precision', Number.NaN)), 'expected a finite number, got number NaN');
    assert.equal(reason(coerceValue('double precision', -Infinity)), 'expected a finite number, got number -Infinity');
    assert.equal(reason(coerceValue('double precision', '1.5')), 'expected a finite number, got string "1.5"');
  });

  it('boolean takes booleans only, not 0/1 or "true"', () => {
    assert.equal(accepted('boolean', true), true);
    assert.equal(accepted('boolean', false), false);
    assert.equal(reason(coerceValue('boolean', 1)), 'expected a boolean, got number 1');
    assert.equal(reason(coerceValue('boolean', 'true')), 'expected a boolean, got string "true"');
  });

  it('jsonb takes any value as is', () => {
    const object = { a: [1, { b: null }] };
    assert.equal(accepted('jsonb', object), object);
    assert.equal(accepted('jsonb', 'text'), 'text');
    assert.equal(accepted('jsonb', 0), 0);
    assert.equal(accepted('jsonb', false), false);
  });

  it('cuts long values in a reason to about 60 characters', () => {
    const text = reason(coerceValue('bigint', 'x'.repeat(10_000)));
    assert.equal(text, `expected an integer, got string "${'x'.repeat(60)}…"`);
  });

  it('never splits a surrogate pair or lets control characters into a reason', () => {
    const text = reason(coerceValue('bigint', `${'x'.repeat(59)}😀tail`));
    assert.equal(text, `expected an integer, got string "${'x'.repeat(59)}…"`);
    assert.equal(reason(coerceValue('bigint', 'a\nb"c')), 'expected an integer, got string "a\\nb\\"c"');
  });

  it('rejects an unknown column type instead of throwing', () => {
    assert.equal(reason(coerceValue('uuid' as ColumnType, 'x')), 'unknown column type string "uuid"');
  });

  it('shares the null and boolean results instead of allocating them', () => {
    assert.equal(coerceValue('text', null), coerceValue('bigint', undefined));
    assert.equal(coerceValue('boolean', true), coerceValue('boolean', true));
    assert.ok(Object.isFrozen(coerceValue('boolean', false)));
  });

  // Its speed is the bench's to measure (`npm run bench`), not a test's: a wall-time bound fails on a busy machine.
  it('accepts a million valid timestamps in a row (no state carried from one check to the next)', () => {
    let ok = 0;
    for (let i = 0; i < 1_000_000; i++) if (coerceValue('timestamptz', '2023-09-18T15:20:35.941305+00:00').ok) ok++;
    assert.equal(ok, 1_000_000);
  });
});

describe('checkIsoTimestamp', () => {
  it('returns null for a valid date-time and a short problem otherwise', () => {
    assert.equal(checkIsoTimestamp('2024-02-29T12:00:00Z'), null);
    assert.equal(checkIsoTimestamp('2024-02-30T12:00:00Z'), 'day out of range');
    assert.equal(checkIsoTimestamp('nope'), 'not ISO-8601');
  });

  it('agrees with the calendar for every day of a leap and a common year', () => {
    for (const year of [2023, 2024, 2100, 2000]) {
      for (let month = 1; month <= 12; month++) {
        for (let day = 1; day <= 31; day++) {
          const text = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
          const date = new Date(`${text}T00:00:00Z`);
          const real = date.getUTCDate() === day && date.getUTCMonth() === month - 1;
          assert.equal(checkIsoTimestamp(text) === null, real, text);
        }
      }
    }
  });
});
