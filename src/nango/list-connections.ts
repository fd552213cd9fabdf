import { z } from 'zod';
import { formatIssues } from '../config/format-issues.js';
import { ReplicatorError } from '../errors/replicator-error.js';
import { type NangoHttpDeps, type NangoHttpOptions, nangoGet } from './nango-request.js';

const connectionSchema = z.looseObject({
  connection_id: z.string(),
  provider_config_key: z.string(),
  provider: z.string().optional(),
  created: z.string().optional(),
  tags: z.record(z.string(), z.unknown()).nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  /** Deprecated by Nango in favour of tags, still listed (REFERENCE 10.3). */
  end_user: z.record(z.string(), z.unknown()).nullish(),
  /** `[{type: "auth" | "sync", log_id}]`. */
  errors: z.array(z.unknown()).nullish(),
});

const connectionsPageSchema = z.looseObject({ connections: z.array(connectionSchema) });

/** One connection as `GET /connections` lists it (docs/nango-api.md 3.1), with the fields the replicator uses. */
export type NangoConnection = z.output<typeof connectionSchema>;

/** Page size for `GET /connections`: the most Nango allows when `limit` is sent explicitly. */
const PAGE_LIMIT = 2000;

/**
 * Every connection, optionally of some integrations, paging with an explicit `limit` (docs/nango-api.md 3.1: without
 * it Nango falls back to a legacy 10000) until a short page marks the end. Paging is by offset, newest first, so a
 * connection created meanwhile can be listed twice (kept once here) and one deleted meanwhile can make another be
 * skipped (REFERENCE 10.3): a connection missing from one listing is not necessarily gone.
 */
export async function listConnections(
  deps: NangoHttpDeps,
  options: NangoHttpOptions,
  params: { integrationIds?: ReadonlyArray<string>; signal?: AbortSignal },
): Promise<NangoConnection[]> {
  const all: NangoConnection[] = [];
  for (let page = 0; ; page++) {
    const body = await nangoGet(deps, options, {
      path: '/connections',
      query: { limit: PAGE_LIMIT, page, integrationId: params.integrationIds?.join(',') || undefined },
      context: {},
      signal: params.signal,
    });
    const parsed = connectionsPageSchema.safeParse(body);
    if (!parsed.success) {
      throw new ReplicatorError(
        'nango_invalid_response',
        `GET /connections answered a body that cannot be read: ${formatIssues(parsed.error.issues)}.`,
        { retry: 'transient' },
      );
    }
    all.push(...parsed.data.connections);
    if (parsed.data.connections.length < PAGE_LIMIT) return uniqueConnections(all);
  }
}

/** The first of each (integration, connection id): newest first, a connection created while paging comes twice. */
function uniqueConnections(connections: NangoConnection[]): NangoConnection[] {
  const seen = new Set<string>();
  return connections.filter((c) => {
    const key = `${c.provider_config_key}\u0000${c.connection_id}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
