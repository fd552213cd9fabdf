import * as z from 'zod';

import { validationErrorReply } from './api-errors.js';
import { toPublicConnection, type StoredConnection } from './public-connection.js';
import type { RouteHandler } from './route-handler.js';

const LEGACY_LIMIT = 10000;

const connectionsQuerySchema = z
  .object({
    connectionId: z.string().min(1).max(255).optional(),
    search: z.string().min(1).max(255).optional(),
    endUserId: z.string().min(1).max(255).optional(),
    endUserOrganizationId: z.string().min(1).max(255).optional(),
    integrationId: z.string().min(1).optional(),
    tags: z.record(z.string(), z.string()).optional(),
    limit: z.coerce.number().int().min(1).max(2000).optional(),
    page: z.coerce.number().int().min(0).optional(),
  })
  .strict();

type ConnectionsQuery = z.infer<typeof connectionsQuerySchema>;

/**
 * GET /connections and its alias GET /connection (docs/nango-api.md 3.1): filters combined with AND,
 * ordered `created_at DESC, id DESC`, offset paging with no total.
 */
export const listConnectionsRoute: RouteHandler = (request, { store }) => {
  const query = connectionsQuerySchema.safeParse(request.query);
  if (!query.success) return validationErrorReply('invalid_query_params', query.error.issues);
  const limit = query.data.limit ?? LEGACY_LIMIT;
  const offset = (query.data.page ?? 0) * limit;
  const matching = store
    .listConnections()
    .filter((connection) => matches(connection, query.data))
    .sort((a, b) => b.createdAt - a.createdAt || b.pk - a.pk);
  return { status: 200, body: { connections: matching.slice(offset, offset + limit).map(toPublicConnection) } };
};

function matches(connection: StoredConnection, query: ConnectionsQuery): boolean {
  if (query.connectionId !== undefined && connection.connectionId !== query.connectionId) return false;
  if (query.integrationId !== undefined) {
    const keys = query.integrationId.split(',').map((key) => key.trim());
    if (!keys.includes(connection.providerConfigKey)) return false;
  }
  if (query.endUserId !== undefined && connection.endUser?.id !== query.endUserId) return false;
  if (query.endUserOrganizationId !== undefined && connection.endUser?.organization?.id !== query.endUserOrganizationId) return false;
  if (query.search !== undefined) {
    const needle = query.search.toLowerCase();
    const haystacks = [connection.connectionId, connection.endUser?.displayName, connection.endUser?.email];
    if (!haystacks.some((text) => text?.toLowerCase().includes(needle))) return false;
  }
  for (const [key, value] of Object.entries(query.tags ?? {})) {
    if (connection.tags[key.toLowerCase()] !== value) return false;
  }
  return true;
}
