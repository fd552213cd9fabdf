import { checkIsoTimestamp } from './check-iso-timestamp.js';
import type { ColumnType } from './column-type.js';

/**
 * The outcome of {@link coerceValue}: the value to bind for the column, or why it cannot be
 * stored in it. Treat results as immutable: some are shared.
 */
export type CoerceResult =
  { readonly ok: true; readonly value: string | number | boolean | null | unknown } | { readonly ok: false; readonly reason: string };

const OK_NULL: CoerceResult = Object.freeze({ ok: true, value: null });
const OK_TRUE: CoerceResult = Object.freeze({ ok: true, value: true });
const OK_FALSE: CoerceResult = Object.freeze({ ok: true, value: false });

/** Longest part of an offending string quoted in a reason, in UTF-16 units. */
const MAX_QUOTED_LENGTH = 60;

/**
 * Checks one record value against its column's type before it is written. No conversion is ever
 * guessed: a value either already has the column's type or is rejected with a precise reason.
 *
 * - `null` and `undefined` (a missing field) -> ok `null`, for every type.
 * - `text`: strings only.
 * - `timestamptz`: strings that are an ISO-8601 date or date-time (see {@link checkIsoTimestamp});
 *   the original string is returned so Postgres keeps every fractional digit and the offset.
 * - `bigint`: numbers that are integers within ±(2^53 - 1); a numeric string is rejected.
 * - `double precision`: finite numbers.
 * - `boolean`: booleans.
 * - `jsonb`: any value, returned as is (the writer serialises it as JSON).
 *
 * Hot path (runs for every value of every record): the happy path allocates at most the small
 * result object, and none for null and booleans. Reasons read like
 * `expected an ISO-8601 date-time, got string "yesterday"`; quoted values are cut to 60 characters.
 */
export function coerceValue(type: ColumnType, value: unknown): CoerceResult {
  if (value === null || value === undefined) return OK_NULL;
  switch (type) {
    case 'text':
      return typeof value === 'string' ? { ok: true, value } : reject('a string', value);
    case 'timestamptz': {
      if (typeof value !== 'string') return reject('an ISO-8601 date-time string', value);
      const problem = checkIsoTimestamp(value);
      if (problem === null) return { ok: true, value };
      return { ok: false, reason: `expected an ISO-8601 date-time, got ${describe(value)} (${problem})` };
    }
    case 'bigint':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return { ok: true, value };
      if (typeof value === 'number' && Number.isInteger(value)) return reject('an integer within ±(2^53-1)', value);
      return reject('an integer', value);
    case 'double precision':
      return typeof value === 'number' && Number.isFinite(value) ? { ok: true, value } : reject('a finite number', value);
    case 'boolean':
      if (typeof value === 'boolean') return value ? OK_TRUE : OK_FALSE;
      return reject('a boolean', value);
    case 'jsonb':
      return { ok: true, value };
    default:
      return { ok: false, reason: `unknown column type ${describe(type as unknown)}` };
  }
}

function reject(expected: string, value: unknown): CoerceResult {
  return { ok: false, reason: `expected ${expected}, got ${describe(value)}` };
}

/** `string "abc"`, `number 1.5`, `boolean true`, `array`, `object`: short, never the whole value. */
function describe(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return `string ${JSON.stringify(truncate(value))}`;
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof value} ${String(value)}`;
    case 'object':
      return value === null ? 'null' : Array.isArray(value) ? 'array' : 'object';
    default:
      return typeof value;
  }
}

function truncate(value: string): string {
  if (value.length <= MAX_QUOTED_LENGTH) return value;
  let end = MAX_QUOTED_LENGTH;
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--; // do not split a surrogate pair
  return `${value.slice(0, end)}…`;
}
