import { z } from 'zod';
import { ReplicatorError } from '../errors/replicator-error.js';
import { type NangoHttpDeps, type NangoHttpOptions, nangoGet } from './nango-request.js';

const syncStatusItemSchema = z.looseObject({
  connection_id: z.string(),
  name: z.string(),
  variant: z.string().optional(),
  status: z.string(),
  finishedAt: z.string().optional(),
  latestExecutionStatus: z.string().optional(),
  latestResult: z.record(z.string(), z.unknown()).optional(),
  /** Nango's live record count per BASE model name; it ignores variants (every variant shows the base's count). */
  recordCount: z.record(z.string(), z.number()).optional(),
});

/** One (connection, sync, variant) of `GET /sync/status` (docs/nango-api.md 10.1): the latest job only. */
export type SyncStatusItem = z.output<typeof syncStatusItemSchema>;

const bodySchema = z.looseObject({ syncs: z.array(syncStatusItemSchema) });

/**
 * `GET /sync/status?provider_config_key=K&syncs=*` for a whole integration: every connection's syncs in one
 * response, one rate-limit point (docs/nango-api.md 10.1); with `connectionId`, that connection's only
 * (`connection_id`; an unknown one is a 400). Slow on Nango's side for many connections, and a 500 for the whole
 * integration when one schedule is missing: callers treat it as a hint.
 */
export async function getSyncStatus(
  deps: NangoHttpDeps,
  options: NangoHttpOptions,
  params: { providerConfigKey: string; connectionId?: string; signal?: AbortSignal },
): Promise<SyncStatusItem[]> {
  const body = await nangoGet(deps, options, {
    path: '/sync/status',
    query: {
      provider_config_key: params.providerConfigKey,
      syncs: '*',
      ...(params.connectionId === undefined ? {} : { connection_id: params.connectionId }),
    },
    context: { integration: params.providerConfigKey, ...(params.connectionId === undefined ? {} : { connection: params.connectionId }) },
    signal: params.signal,
  });
  const parsed = bodySchema.safeParse(body);
  if (!parsed.success) {
    throw new ReplicatorError('nango_invalid_response', 'GET /sync/status did not answer {"syncs": [...]}.', { retry: 'transient' });
  }
  return parsed.data.syncs;
}
