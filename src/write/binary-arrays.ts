import { daysInMonth, digits, offsetSeconds } from '../schema/check-iso-timestamp.js';

const TEXT_OID = 25;
const TIMESTAMPTZ_OID = 1184;
/** Seconds from the Unix epoch to Postgres' epoch, 2000-01-01 00:00:00 UTC. */
const POSTGRES_EPOCH_SECONDS = 946_684_800;
const HEADER_BYTES = 20;

/**
 * Arrays as Postgres' binary wire format (`array_send`), for parameters of `unnest($n::text[])` and
 * `unnest($n::timestamptz[])`: a Buffer parameter is sent as binary, so Postgres copies the elements instead of
 * parsing an array literal and every timestamp in it, a third of the cost (docs/decisions/0006-binary-arrays.md).
 */
export function textArray(values: ReadonlyArray<string | null>): Buffer {
  let length = HEADER_BYTES;
  for (const value of values) length += 4 + (value === null ? 0 : Buffer.byteLength(value, 'utf8'));
  const out = header(length, TEXT_OID, values);
  let at = HEADER_BYTES;
  for (const value of values) {
    if (value === null) {
      at = out.writeInt32BE(-1, at);
      continue;
    }
    const written = out.write(value, at + 4, 'utf8');
    out.writeInt32BE(written, at);
    at += 4 + written;
  }
  return out;
}

/**
 * `timestamptz[]` in binary (microseconds since 2000-01-01 UTC) from Nango's metadata timestamps
 * (`2024-03-04T06:59:51.471441+00:00`: fraction of up to 6 digits optional, `Z` or an offset). Null if any value
 * has another form or a field out of range: the caller then sends the text, and Postgres' own parser decides.
 */
export function timestamptzArray(values: ReadonlyArray<string | null>): Buffer | null {
  const out = header(HEADER_BYTES + values.reduce((sum, v) => sum + (v === null ? 4 : 12), 0), TIMESTAMPTZ_OID, values);
  let at = HEADER_BYTES;
  let previous: string | null = null;
  let high = 0;
  let low = 0;
  for (const value of values) {
    if (value === null) {
      at = out.writeInt32BE(-1, at);
      continue;
    }
    // Records of one Nango batch share their timestamps: the last one parsed is reused.
    if (value !== previous) {
      const parsed = parseTimestamp(value);
      if (parsed === null) return null;
      // micros = seconds * 1e6 + fraction, exactly: seconds * 15625 stays below 2^53, and 1e6 = 15625 * 64.
      const scaled = parsed.seconds * 15_625;
      const upper = Math.floor(scaled / 2 ** 26);
      const rest = (scaled - upper * 2 ** 26) * 64 + parsed.micros;
      high = upper + Math.floor(rest / 2 ** 32);
      low = rest % 2 ** 32;
      previous = value;
    }
    at = out.writeInt32BE(8, at);
    at = out.writeInt32BE(high, at);
    at = out.writeUInt32BE(low, at);
  }
  return out;
}

function header(length: number, oid: number, values: ReadonlyArray<string | null>): Buffer {
  const out = Buffer.allocUnsafe(length);
  out.writeInt32BE(1, 0); // dimensions
  out.writeInt32BE(values.includes(null) ? 1 : 0, 4);
  out.writeInt32BE(oid, 8);
  out.writeInt32BE(values.length, 12);
  out.writeInt32BE(1, 16); // lower bound
  return out;
}

/** Seconds since Postgres' epoch and the microseconds of the fraction, or null. */
function parseTimestamp(value: string): { seconds: number; micros: number } | null {
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 2);
  const day = digits(value, 8, 2);
  const hour = digits(value, 11, 2);
  const minute = digits(value, 14, 2);
  const second = digits(value, 17, 2);
  if (
    value.charCodeAt(4) !== 45 ||
    value.charCodeAt(7) !== 45 ||
    value.charCodeAt(10) !== 84 ||
    value.charCodeAt(13) !== 58 ||
    value.charCodeAt(16) !== 58
  ) {
    return null;
  }
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return null;
  let at = 19;
  let micros = 0;
  if (value.charCodeAt(at) === 46 /* . */) {
    let scale = 100_000;
    for (at += 1; at < value.length && value.charCodeAt(at) >= 48 && value.charCodeAt(at) <= 57; at++) {
      if (scale < 1) return null; // more than 6 digits: Postgres rounds; leave it to Postgres
      micros += (value.charCodeAt(at) - 48) * scale;
      scale /= 10;
    }
    if (scale === 100_000) return null;
  }
  const offset = offsetSeconds(value, at);
  if (!Number.isFinite(offset)) return null;
  const seconds = Date.UTC(year, month - 1, day, hour, minute, second) / 1000 - POSTGRES_EPOCH_SECONDS - offset;
  return { seconds, micros };
}
