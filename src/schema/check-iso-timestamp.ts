const FORMAT = 'not ISO-8601';

/** Postgres rejects UTC offsets beyond ±15:59 (MAX_TZDISP_HOUR). */
const MAX_OFFSET_HOURS = 15;
/** Fractional seconds beyond nanoseconds are not produced by any real clock; reject them as noise. */
const MAX_FRACTION_DIGITS = 9;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/**
 * Checks that `value` is an ISO-8601 / RFC 3339 calendar date or date-time that Postgres stores
 * as `timestamptz` exactly as meant:
 *
 * `YYYY-MM-DD` or `YYYY-MM-DD(T|t| )hh:mm[:ss[.f{1,9}]][Z|z|±hh[[:]mm]]`
 *
 * with year 0001-9999, a day that exists in that month (Gregorian leap years), hour 00-23, minute
 * and second 00-59 (no leap second, no `24:00`), and an offset within ±15:59. Without an offset
 * Postgres reads the time in the session zone, which the replicator sets to UTC.
 *
 * Hand-written scanner: no allocation and no regex on the path taken millions of times.
 *
 * @returns `null` when valid, otherwise a short description of the first problem found.
 */
export function checkIsoTimestamp(value: string): string | null {
  const length = value.length;
  if (length < 10) return FORMAT;
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 2);
  const day = digits(value, 8, 2);
  if (year < 0 || month < 0 || day < 0 || value.charCodeAt(4) !== 45 || value.charCodeAt(7) !== 45) return FORMAT;
  if (year === 0) return 'year out of range';
  if (month < 1 || month > 12) return 'month out of range';
  if (day < 1 || day > daysInMonth(year, month)) return 'day out of range';
  if (length === 10) return null;

  const separator = value.charCodeAt(10);
  if (separator !== 84 /* T */ && separator !== 116 /* t */ && separator !== 32) return FORMAT;
  const hour = digits(value, 11, 2);
  const minute = digits(value, 14, 2);
  if (hour < 0 || minute < 0 || value.charCodeAt(13) !== 58) return FORMAT;
  if (hour > 23) return 'hour out of range';
  if (minute > 59) return 'minute out of range';

  let at = 16;
  if (value.charCodeAt(at) === 58 /* : */) {
    const second = digits(value, 17, 2);
    if (second < 0) return FORMAT;
    if (second > 59) return 'second out of range';
    at = 19;
    if (value.charCodeAt(at) === 46 /* . */) {
      let end = at + 1;
      while (isDigit(value.charCodeAt(end))) end++;
      const count = end - at - 1;
      if (count < 1 || count > MAX_FRACTION_DIGITS) return FORMAT;
      at = end;
    }
  }
  if (at === length) return null;
  return checkOffset(value, at);
}

/** The offset from `at` to the end: `Z`, `z`, `±hh`, `±hhmm` or `±hh:mm`. */
function checkOffset(value: string, at: number): string | null {
  const seconds = offsetSeconds(value, at);
  if (Number.isNaN(seconds)) return FORMAT;
  return seconds === Number.POSITIVE_INFINITY ? 'offset out of range' : null;
}

/**
 * The UTC offset from `at` to the end (`Z`, `z`, `±hh`, `±hhmm` or `±hh:mm`) in seconds east of UTC; NaN if it has
 * another form, +Infinity if a field is out of the range Postgres takes (±15:59). No allocation: it runs for every
 * timestamp value.
 */
export function offsetSeconds(value: string, at: number): number {
  const sign = value.charCodeAt(at);
  if (sign === 90 /* Z */ || sign === 122 /* z */) return at + 1 === value.length ? 0 : Number.NaN;
  if (sign !== 43 /* + */ && sign !== 45 /* - */) return Number.NaN;
  const hours = digits(value, at + 1, 2);
  if (hours < 0) return Number.NaN;
  let end = at + 3;
  let minutes = 0;
  if (end < value.length) {
    if (value.charCodeAt(end) === 58) end++;
    minutes = digits(value, end, 2);
    if (minutes < 0) return Number.NaN;
    end += 2;
  }
  if (end !== value.length) return Number.NaN;
  if (hours > MAX_OFFSET_HOURS || minutes > 59) return Number.POSITIVE_INFINITY;
  return (sign === 45 ? -1 : 1) * (hours * 3600 + minutes * 60);
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** The decimal value of `count` digits at `start`, or -1 if any is missing or not a digit. */
export function digits(value: string, start: number, count: number): number {
  let result = 0;
  for (let i = start; i < start + count; i++) {
    const code = value.charCodeAt(i);
    if (!isDigit(code)) return -1;
    result = result * 10 + (code - 48);
  }
  return result;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month - 1] ?? 0;
}
