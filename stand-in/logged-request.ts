import type { IncomingHttpHeaders } from 'node:http';

import type { ParsedQuery } from './query-string.js';

/** One request the stand-in received. */
export interface LoggedRequest {
  method: string;
  /** Path without the query string, e.g. `/records/`. */
  path: string;
  query: ParsedQuery;
  /** Lowercase header names; `authorization` is replaced by `[REDACTED]`. */
  headers: Record<string, string>;
  /** Response status; 0 while in flight or when the socket was reset without a response. */
  status: number;
  /** Arrival time from the stand-in's clock, epoch milliseconds. */
  at: number;
}

/** Copies headers as strings, redacting the secret key. */
export function redactHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const copy: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    copy[name] = name === 'authorization' ? '[REDACTED]' : Array.isArray(value) ? value.join(', ') : value;
  }
  return copy;
}
