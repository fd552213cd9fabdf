/**
 * Timestamps are kept as integer microseconds since the Unix epoch, like Postgres `timestamptz`.
 * These helpers render and parse them the way Postgres and Nango do.
 */

const ISO_WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Renders like Postgres `to_json(timestamptz)` in a UTC session: `2024-03-04T06:59:51.471441+00:00`,
 * trailing fractional zeros trimmed, the fraction omitted when it is zero.
 */
export function formatPgTimestamp(micros: number): string {
  const seconds = Math.floor(micros / 1_000_000);
  const fraction = micros - seconds * 1_000_000;
  const base = new Date(seconds * 1000).toISOString().slice(0, 19);
  const digits = fraction === 0 ? '' : `.${String(fraction).padStart(6, '0').replace(/0+$/, '')}`;
  return `${base}${digits}+00:00`;
}

/**
 * Parses an ISO-8601 timestamp with seconds and a `Z` or `±HH:MM` offset (the forms zod's
 * `datetime({ offset: true })` accepts) to microseconds, rounding extra fractional digits like
 * Postgres. Returns undefined for anything else.
 */
export function parseIsoToMicros(value: string): number | undefined {
  const match = ISO_WITH_OFFSET.exec(value);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction = '', offset = 'Z'] = match;
  const date = new Date(0);
  date.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  date.setUTCHours(Number(hour), Number(minute), Number(second), 0);
  const padded = fraction.padEnd(7, '0');
  const fractionMicros = Number(padded.slice(0, 6)) + (Number(padded[6]) >= 5 ? 1 : 0);
  const offsetMinutes = offset === 'Z' ? 0 : offsetToMinutes(offset);
  return date.getTime() * 1000 + fractionMicros - offsetMinutes * 60_000_000;
}

function offsetToMinutes(offset: string): number {
  const sign = offset.startsWith('-') ? -1 : 1;
  return sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
}
