import * as z from 'zod';

import { genericErrorReply, validationErrorReply } from './api-errors.js';
import type { StoredConnection } from './public-connection.js';
import type { RouteHandler } from './route-handler.js';
import type { DeployedSync } from './scripts-config.js';

const syncStatusQuerySchema = z
  .object({
    provider_config_key: z.string().min(1),
    syncs: z.string().min(1),
    connection_id: z.string().min(1).optional(),
  })
  .strict();

/**
 * GET /sync/status (docs/nango-api.md 6 and 10.1): one item per (connection, sync, variant) of the integration, or
 * of one connection with `connection_id`; `syncs` is `*` (every sync and every live variant) or a comma list where
 * `name` is the base variant and `name::variant` another. Keys of the latest job are absent for a sync that never
 * had one; the counts are the latest job's only. `recordCount` is the base model's live count, keyed by the base
 * model name, for every variant alike (Nango's ignores variants). If any sync answered has no schedule
 * (`syncJobs.setScheduleMissing`), the whole call is a 500 `generic_error_support`, as Nango's.
 */
export const syncStatusRoute: RouteHandler = (request, { store }) => {
  const query = syncStatusQuerySchema.safeParse(request.query);
  if (!query.success) return validationErrorReply('invalid_query_params', query.error.issues);
  const { provider_config_key: key, syncs: wanted, connection_id: connectionId } = query.data;
  let connections = store.listConnections().filter((c) => c.providerConfigKey === key);
  if (connectionId !== undefined) {
    connections = connections.filter((c) => c.connectionId === connectionId);
    if (connections.length === 0) return { status: 400, body: { error: { code: 'invalid_body', message: 'Connection not found' } } };
  }
  const named = wanted === '*' ? null : new Set(wanted.split(',').map((n) => jobKey(...splitSyncName(n.trim()))));
  const syncs = store.listSyncs().filter((s) => s.providerConfigKey === key);
  const items: Record<string, unknown>[] = [];
  for (const connection of connections) {
    for (const sync of syncs) {
      // Nango's count ignores variants: the base model's, once for every variant of the sync.
      const live = (model: string) => store.orderedRecords(connection, model).filter((r) => r.deletedAt === null).length;
      const recordCount = Object.fromEntries(sync.models.map((m) => [m.name, live(m.name)]));
      const variants = [
        { id: baseSyncId(sync, connection), variant: 'base' },
        ...store.syncVariants.list(key, connection.connectionId, sync.name),
      ];
      for (const { id, variant } of variants) {
        const job = jobKey(sync.name, variant);
        if (named !== null && !named.has(job)) continue;
        if (store.syncJobs.isScheduleMissing(key, connection.connectionId, job)) return genericErrorReply();
        items.push(statusItem(store, connection, sync, { id, variant, recordCount }));
      }
    }
  }
  return { status: 200, body: { syncs: items } };
};

/** `name::variant` as Nango's `normalizedSyncParams` reads it; a bare name is the base variant. */
function splitSyncName(entry: string): [string, string] {
  if (!entry.includes('::')) return [entry, 'base'];
  const [name = '', variant = ''] = entry.split('::');
  return [name, variant];
}

/** The `syncJobs` key of a sync's variant: the name for `base`, `name::variant` otherwise. */
function jobKey(name: string, variant: string): string {
  return variant === 'base' ? name : `${name}::${variant}`;
}

function baseSyncId(sync: DeployedSync, connection: StoredConnection): string {
  return `00000000-0000-4000-8000-${String(sync.id).padStart(6, '0')}${String(connection.pk).padStart(6, '0')}`;
}

function statusItem(
  store: Parameters<RouteHandler>[1]['store'],
  connection: StoredConnection,
  sync: DeployedSync,
  { id, variant, recordCount }: { id: string; variant: string; recordCount: Record<string, number> },
): Record<string, unknown> {
  const job = store.syncJobs.latest(connection.providerConfigKey, connection.connectionId, jobKey(sync.name, variant));
  const item: Record<string, unknown> = {
    id,
    connection_id: connection.connectionId,
    name: sync.name,
    variant,
    status: job?.status ?? (sync.autoStart ? 'STOPPED' : 'PAUSED'),
    nextScheduledSyncAt: null,
    frequency: sync.runs,
    recordCount,
    checkpoint: null,
  };
  if (job === undefined) return item;
  return {
    ...item,
    type: 'INCREMENTAL',
    ...(job.finishedAtMs === null ? {} : { finishedAt: new Date(job.finishedAtMs).toISOString() }),
    latestResult: job.latestResult,
    latestExecutionStatus: job.status,
  };
}
