import { listConnectionsRoute } from './connections-route.js';
import { getRecordsRoute } from './records-route.js';
import type { RouteHandler } from './route-handler.js';
import { scriptsConfigRoute } from './scripts-config-route.js';
import { syncStatusRoute } from './sync-status-route.js';

const ROUTES: ReadonlyArray<{ method: string; path: string; handler: RouteHandler }> = [
  { method: 'GET', path: '/records', handler: getRecordsRoute },
  { method: 'GET', path: '/connections', handler: listConnectionsRoute },
  { method: 'GET', path: '/connection', handler: listConnectionsRoute },
  { method: 'GET', path: '/scripts/config', handler: scriptsConfigRoute },
  { method: 'GET', path: '/sync/status', handler: syncStatusRoute },
];

/** Prefixes mounted behind Nango's `jsonContentTypeMiddleware`. */
const JSON_ONLY_PREFIXES = [
  '/records', '/connection', '/connections', '/scripts', '/sync', '/integrations', '/providers', '/action', '/connect', '/v1',
];

/**
 * The handler for a request, matched like Express's default router: case-insensitive, one
 * trailing slash ignored (`/records/` is `/records`), HEAD served by GET routes.
 */
export function findRoute(method: string, path: string): RouteHandler | undefined {
  const wanted = normalise(path);
  const verb = method === 'HEAD' ? 'GET' : method;
  return ROUTES.find((route) => route.method === verb && route.path === wanted)?.handler;
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
