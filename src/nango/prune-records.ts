import { z } from 'zod';
import { formatIssues } from '../config/format-issues.js';
import { ReplicatorError } from '../errors/replicator-error.js';
import { type NangoHttpDeps, type NangoHttpOptions, nangoGet } from './nango-request.js';

/** What `PATCH /records/prune` is asked to empty. */
export interface PruneRecordsParams {
  providerConfigKey: string;
  connectionId: string;
  model: string;
  /** The sync variant; absent or `base` for a sync without variants (then not sent). */
  variant?: string;
  /** Nango's cursor of the last record to prune: every record up to and including it is pruned. */
  untilCursor: string;
  /** Records pruned per request, 1..10000. Default 10000 (Nango's default is 1000). */
  limit?: number;
  signal?: AbortSignal;
}

/** What pruning did. */
export interface PruneResult {
  /** Records pruned (records already pruned are not counted again). */
  count: number;
  /** Requests sent: one per batch of `limit`. */
  requests: number;
}

const pruneResponseSchema = z.looseObject({ count: z.number().int().nonnegative(), has_more: z.boolean() });

const DEFAULT_LIMIT = 10_000;
/** Batches of one call at most: a stream that keeps growing behind the cursor cannot keep it going. */
const MAX_REQUESTS = 100;

/**
 * Empties the payloads Nango holds for a stream up to and including `untilCursor` (docs/nango-api.md 1.8): records
 * keep their id, metadata and position, a later read returns them with `pruned_at` set and no payload. Sends
 * `PATCH /records/prune` (each request takes a token from the gate like GET /records) until Nango answers
 * `has_more: false`. Needs the scope `environment:records:write`; a key without it gets 403 `forbidden`.
 */
export async function pruneRecords(deps: NangoHttpDeps, options: NangoHttpOptions, params: PruneRecordsParams): Promise<PruneResult> {
  const result: PruneResult = { count: 0, requests: 0 };
  while (result.requests < MAX_REQUESTS) {
    const body = await nangoGet(deps, options, {
      method: 'PATCH',
      path: '/records/prune',
      headers: { 'Connection-Id': params.connectionId, 'Provider-Config-Key': params.providerConfigKey },
      json: {
        model: params.model,
        variant: params.variant === undefined || params.variant === 'base' ? undefined : params.variant,
        until_cursor: params.untilCursor,
        limit: params.limit ?? DEFAULT_LIMIT,
      },
      context: { integration: params.providerConfigKey, connection: params.connectionId, model: params.model },
      signal: params.signal,
    });
    const parsed = pruneResponseSchema.safeParse(body);
    if (!parsed.success) {
      throw new ReplicatorError(
        'nango_invalid_response',
        `PATCH /records/prune answered a body that cannot be read: ${formatIssues(parsed.error.issues)}.`,
        { retry: 'transient' },
      );
    }
    result.count += parsed.data.count;
    result.requests += 1;
    if (!parsed.data.has_more) break;
  }
  return result;
}
