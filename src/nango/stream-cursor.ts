/**
 * A decoded Nango cursor: base64 of `<last_modified_at>||<internal uuid>` (docs/nango-api.md 1.3).
 * `micros` is the timestamp in microseconds since the epoch, so offsets compare correctly.
 */
export interface CursorPosition {
  micros: bigint;
  uuid: string;
}

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}(?::?\d{2})?)$/;

/** Decodes a cursor into its position, or null when it is not one Nango could have issued. */
export function decodeCursor(cursor: string): CursorPosition | null {
  const text = Buffer.from(cursor, 'base64').toString('latin1');
  const parts = text.split('||');
  if (parts.length !== 2) return null;
  const [timestamp, uuid] = parts as [string, string];
  const match = TIMESTAMP.exec(timestamp);
  if (match === null || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(uuid)) return null;
  const offset = match[3] === 'Z' ? '+00:00' : (match[3] as string);
  const millis = Date.parse(`${match[1]}${offset.length === 3 ? `${offset}:00` : offset}`);
  if (Number.isNaN(millis)) return null;
  const fraction = (match[2] ?? '').padEnd(6, '0');
  const seconds = BigInt(Math.floor(millis / 1000));
  return { micros: seconds * 1_000_000n + BigInt(fraction), uuid: uuid.toLowerCase() };
}

/**
 * Orders two cursors by stream position (timestamp, then uuid), as Nango's tuple comparison does.
 * A cursor that does not decode sorts before every valid one, so it is never kept over a real position.
 */
export function compareCursors(a: string | null, b: string | null): number {
  const left = a === null ? null : decodeCursor(a);
  const right = b === null ? null : decodeCursor(b);
  if (left === null || right === null) return left === right ? 0 : left === null ? -1 : 1;
  if (left.micros !== right.micros) return left.micros < right.micros ? -1 : 1;
  return left.uuid < right.uuid ? -1 : left.uuid > right.uuid ? 1 : 0;
}
