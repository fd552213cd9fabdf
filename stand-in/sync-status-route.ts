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
 * GET /sync/status (docs/nango-api.md 6 and 10.1): one item per (connection, sync) of the integration, or of one
 * connection with `connection_id`; `syncs` is `*` or a comma list of names (`name::variant` filters a variant;
 * the stand-in has only `base`). Keys of the latest job are absent for a sync that never had one. The counts are
 * the latest job's only. If any sync answered has no schedule (`syncJobs.setScheduleMissing`), the whole call is
 * a 500 `generic_error_support`, as Nango's.
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
  const names = wanted === '*' ? null : new Set(wanted.split(',').map((n) => n.trim().split('::')[0]));
  const syncs = store.listSyncs().filter((s) => s.providerConfigKey === key && (names === null || names.has(s.name)));
  const items: Record<string, unknown>[] = [];
  for (const connection of connections) {
    for (const sync of syncs) {
      if (store.syncJobs.isScheduleMissing(key, connection.connectionId, sync.name)) return genericErrorReply();
      items.push(statusItem(store, connection, sync));
    }
  }
  return { status: 200, body: { syncs: items } };
};

function statusItem(
  store: Parameters<RouteHandler>[1]['store'],
  connection: StoredConnection,
  sync: DeployedSync,
): Record<string, unknown> {
  const job = store.syncJobs.latest(connection.providerConfigKey, connection.connectionId, sync.name);
  const live = (model: string) =>
    store.snapshot(connection.providerConfigKey, connection.connectionId, model).filter((r) => r.deletedAt === null).length;
  const recordCount = Object.fromEntries(sync.models.map((m) => [m.name, live(m.name)]));
  const item: Record<string, unknown> = {
    id: `00000000-0000-4000-8000-${String(sync.id).padStart(6, '0')}${String(connection.pk).padStart(6, '0')}`,
    connection_id: connection.connectionId,
    name: sync.name,
    variant: 'base',
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
