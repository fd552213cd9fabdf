import { setMetadataRoute } from './connection-metadata-route.js';
import { listConnectionsRoute } from './connections-route.js';
import { pruneRecordsRoute } from './prune-records-route.js';
import { getRecordsRoute } from './records-route.js';
import type { RouteHandler } from './route-handler.js';
import { scriptsConfigRoute } from './scripts-config-route.js';
import { syncStatusRoute } from './sync-status-route.js';
import { createSyncVariantRoute, deleteSyncVariantRoute } from './sync-variant-routes.js';

/** Not in the reference: the stand-in accepts a full-access key (or one with this scope) for metadata writes. */
const METADATA_SCOPES = ['environment:connections:update'];
const CONNECTIONS_SCOPES = ['environment:connections:list', 'environment:connections:list_credentials'];
/** Not in the reference: the stand-in accepts a full-access key (or one with this scope) for sync variants. */
const VARIANT_SCOPES = ['environment:syncs:update'];

/**
 * Each route with the scopes of Nango's `withScope(...)` (any one suffices), /work/shared/nango-api/REFERENCE.md 1, 3, 4.
 * A `:name` segment is an Express route parameter: it matches one segment and reaches the handler decoded.
 */
const ROUTES: ReadonlyArray<{ method: string; path: string; handler: RouteHandler; scopes: ReadonlyArray<string> }> = [
  { method: 'GET', path: '/records', handler: getRecordsRoute, scopes: ['environment:records:read'] },
  { method: 'PATCH', path: '/records/prune', handler: pruneRecordsRoute, scopes: ['environment:records:write'] },
  { method: 'GET', path: '/connections', handler: listConnectionsRoute, scopes: CONNECTIONS_SCOPES },
  { method: 'GET', path: '/connection', handler: listConnectionsRoute, scopes: CONNECTIONS_SCOPES },
  { method: 'GET', path: '/sync/status', handler: syncStatusRoute, scopes: ['environment:syncs:read'] },
  { method: 'POST', path: '/sync/:name/variant/:variant', handler: createSyncVariantRoute, scopes: VARIANT_SCOPES },
  { method: 'DELETE', path: '/sync/:name/variant/:variant', handler: deleteSyncVariantRoute, scopes: VARIANT_SCOPES },
  { method: 'GET', path: '/scripts/config', handler: scriptsConfigRoute, scopes: ['environment:integrations:list_functions'] },
  { method: 'POST', path: '/connections/metadata', handler: setMetadataRoute('replace'), scopes: METADATA_SCOPES },
  { method: 'POST', path: '/connection/metadata', handler: setMetadataRoute('replace'), scopes: METADATA_SCOPES },
  { method: 'PATCH', path: '/connections/metadata', handler: setMetadataRoute('merge'), scopes: METADATA_SCOPES },
  { method: 'PATCH', path: '/connection/metadata', handler: setMetadataRoute('merge'), scopes: METADATA_SCOPES },
];

/** Prefixes mounted behind Nango's `jsonContentTypeMiddleware`. */
const JSON_ONLY_PREFIXES = [
  '/records',
  '/connection',
  '/connections',
  '/scripts',
  '/sync',
  '/integrations',
  '/providers',
  '/action',
  '/connect',
  '/v1',
];

/** A route that answers a request, with its scopes and the decoded values of its `:name` segments. */
export interface RouteMatch {
  handler: RouteHandler;
  /** The scopes that let a key call the route (any one of them). */
  scopes: ReadonlyArray<string>;
  params: Record<string, string>;
}

/**
 * The route for a request, matched like Express's default router: case-insensitive literal segments, one
 * trailing slash ignored (`/records/` is `/records`), HEAD served by GET routes; undefined for an unknown route.
 */
export function findRoute(method: string, path: string): RouteMatch | undefined {
  const verb = method === 'HEAD' ? 'GET' : method;
  const segments = trimSlash(path).split('/');
  for (const route of ROUTES) {
    if (route.method !== verb) continue;
    const params = matchSegments(route.path.split('/'), segments);
    if (params) return { handler: route.handler, scopes: route.scopes, params };
  }
  return undefined;
}

function matchSegments(pattern: readonly string[], segments: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of pattern.entries()) {
    const segment = segments[i] ?? '';
    if (part.startsWith(':')) {
      if (segment === '') return undefined;
      const decoded = safeDecode(segment);
      if (decoded === undefined) return undefined;
      params[part.slice(1)] = decoded;
    } else if (part !== segment.toLowerCase()) {
      return undefined;
    }
  }
  return params;
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** True when Express `app.use(prefix, jsonContentTypeMiddleware)` would see this path. */
export function requiresJsonContentType(path: string): boolean {
  const lower = path.toLowerCase();
  return JSON_ONLY_PREFIXES.some((prefix) => lower === prefix || lower.startsWith(`${prefix}/`));
}

function trimSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}
