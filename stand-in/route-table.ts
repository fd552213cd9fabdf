import { setMetadataRoute } from './connection-metadata-route.js';
import { listConnectionsRoute } from './connections-route.js';
import { pruneRecordsRoute } from './prune-records-route.js';
import { getRecordsRoute } from './records-route.js';
import type { RouteHandler } from './route-handler.js';
import { scriptsConfigRoute } from './scripts-config-route.js';
import { syncStatusRoute } from './sync-status-route.js';

/** Not in the reference: the stand-in accepts a full-access key (or one with this scope) for metadata writes. */
const METADATA_SCOPES = ['environment:connections:update'];
const CONNECTIONS_SCOPES = ['environment:connections:list', 'environment:connections:list_credentials'];

/** Each route with the scopes of Nango's `withScope(...)` (any one suffices), /work/shared/nango-api/REFERENCE.md 1, 3, 4. */
const ROUTES: ReadonlyArray<{ method: string; path: string; handler: RouteHandler; scopes: ReadonlyArray<string> }> = [
  { method: 'GET', path: '/records', handler: getRecordsRoute, scopes: ['environment:records:read'] },
  { method: 'PATCH', path: '/records/prune', handler: pruneRecordsRoute, scopes: ['environment:records:write'] },
  { method: 'GET', path: '/connections', handler: listConnectionsRoute, scopes: CONNECTIONS_SCOPES },
  { method: 'GET', path: '/connection', handler: listConnectionsRoute, scopes: CONNECTIONS_SCOPES },
  { method: 'GET', path: '/sync/status', handler: syncStatusRoute, scopes: ['environment:syncs:read'] },
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

/**
 * The handler for a request, matched like Express's default router: case-insensitive, one
 * trailing slash ignored (`/records/` is `/records`), HEAD served by GET routes.
 */
export function findRoute(method: string, path: string): RouteHandler | undefined {
  return matchRoute(method, path)?.handler;
}

/** The scopes that let a key call the route (any one of them); undefined for an unknown route. */
export function routeScopes(method: string, path: string): ReadonlyArray<string> | undefined {
  return matchRoute(method, path)?.scopes;
}

function matchRoute(method: string, path: string) {
  const wanted = normalise(path);
  const verb = method === 'HEAD' ? 'GET' : method;
  return ROUTES.find((route) => route.method === verb && route.path === wanted);
}

/** True when Express `app.use(prefix, jsonContentTypeMiddleware)` would see this path. */
export function requiresJsonContentType(path: string): boolean {
  const lower = path.toLowerCase();
  return JSON_ONLY_PREFIXES.some((prefix) => lower === prefix || lower.startsWith(`${prefix}/`));
}

function normalise(path: string): string {
  const lower = path.toLowerCase();
  return lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
}
