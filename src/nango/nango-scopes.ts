/**
 * The scopes of a scoped Nango API key, per request the replicator makes (/work/shared/nango-api/REFERENCE.md
 * 1.8, 3.1, 4, 5; docs/nango-api.md 0): the smallest set a key needs is the union over the features in use. A key
 * with full access (`environment:*`) has them all. The README's Security section lists the same table.
 */
export const NANGO_SCOPES: ReadonlyArray<{ method: string; path: string; scope: string; feature: string }> = [
  { method: 'GET', path: '/records', scope: 'environment:records:read', feature: 'reading records (sync, worker, backfill)' },
  { method: 'GET', path: '/connections', scope: 'environment:connections:list', feature: 'listing connections (`connections: "*"`)' },
  {
    method: 'GET',
    path: '/scripts/config',
    scope: 'environment:integrations:list_functions',
    feature: 'listing a sync\'s models and frequency (`models: "*"`, no `every`, backfills)',
  },
  {
    method: 'GET',
    path: '/sync/status',
    scope: 'environment:syncs:read',
    feature: 'looking up sync variants (`variants`, default "*") and the `detection: syncStatus` hints',
  },
  { method: 'PATCH', path: '/records/prune', scope: 'environment:records:write', feature: 'pruning payloads after commit (when enabled)' },
];

/** The scope a request needs, from the table above; undefined for a path it does not list. */
export function scopeForRequest(method: string, path: string): { scope: string; feature: string } | undefined {
  const bare = path.split('?', 1)[0]!.replace(/\/+$/, '').toLowerCase();
  return NANGO_SCOPES.find((entry) => entry.method === method.toUpperCase() && entry.path === bare);
}
