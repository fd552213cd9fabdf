import * as z from 'zod';

import { parseIsoToMicros } from './pg-timestamp.js';

/** A decoded cursor: a position in the (updated_at, internal uuid) order. */
export interface CursorPosition {
  updatedAtMicros: number;
  uuid: string;
}

const cursorSchema = z.object({ sort: z.string().datetime({ offset: true }), id: z.string().uuid() }).strict();

/** Cursor = base64 of `"<last_modified_at as rendered>||<internal uuid>"` (docs/nango-api.md 1.3). */
export function encodeCursor(lastModifiedAt: string, uuid: string): string {
  return Buffer.from(`${lastModifiedAt}||${uuid}`).toString('base64');
}

/**
 * Decodes like Nango's `Cursor.from`: exactly two `||` parts, an offset datetime and a uuid.
 * Returns undefined for anything else (the server then answers 500). Positional only: the
 * record it came from need not exist.
 */
export function decodeCursor(encoded: string): CursorPosition | undefined {
  const parts = Buffer.from(encoded, 'base64').toString('ascii').split('||');
  if (parts.length !== 2) return undefined;
  const parsed = cursorSchema.safeParse({ sort: parts[0], id: parts[1] });
  if (!parsed.success) return undefined;
  const updatedAtMicros = parseIsoToMicros(parsed.data.sort);
  if (updatedAtMicros === undefined) return undefined;
  return { updatedAtMicros, uuid: parsed.data.id.toLowerCase() };
}
