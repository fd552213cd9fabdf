import type { IncomingHttpHeaders } from 'node:http';

import type { Reply } from './http-reply.js';
import type { ParsedQuery } from './query-string.js';
import type { RecordStore } from './record-store.js';

/** What a route sees of a request that passed auth and rate limiting. */
export interface RouteRequest {
  method: string;
  path: string;
  query: ParsedQuery;
  /** Decoded `:name` segments of the route's path (`/sync/:name/variant/:variant`); absent for a route without any. */
  params?: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** The JSON body, parsed; undefined when the request had none. */
  body?: unknown;
}

/** Collaborators of the route handlers. */
export interface RouteDeps {
  store: RecordStore;
  /** The stand-in's clock, epoch milliseconds. */
  now: () => number;
}

/** A synchronous handler: the store is in memory. */
export type RouteHandler = (request: RouteRequest, deps: RouteDeps) => Reply;

/** A single header value the way Express `req.get` returns it. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
