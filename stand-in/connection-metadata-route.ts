import * as z from 'zod';

import { validationErrorReply } from './api-errors.js';
import type { RouteHandler } from './route-handler.js';

const metadataBodySchema = z
  .object({
    connection_id: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    provider_config_key: z.string().min(1),
    metadata: z.record(z.string(), z.unknown()),
  })
  .strict();

/**
 * `POST /connections/metadata` (replace: 201) and `PATCH /connections/metadata` (shallow merge: 200), with their
 * `/connection/metadata` aliases (docs/nango-api.md 3.3): the body is echoed; any query string is a 400; an unknown
 * connection is a 404 `unknown_connection` and, for a list, nothing changes. Neither moves the connection's
 * `updated_at` (REFERENCE 10.3), which the stand-in does not keep anyway.
 */
export function setMetadataRoute(mode: 'replace' | 'merge'): RouteHandler {
  return (request, { store }) => {
    if (Object.keys(request.query).length > 0) {
      return validationErrorReply('invalid_query_params', [{ code: 'unrecognized_keys', message: 'No query string expected', path: [] }]);
    }
    const parsed = metadataBodySchema.safeParse(request.body);
    if (!parsed.success) return validationErrorReply('invalid_body', parsed.error.issues);
    const { connection_id: ids, provider_config_key: providerConfigKey, metadata } = parsed.data;
    const list = Array.isArray(ids) ? ids : [ids];
    const unknown = store.setConnectionMetadata(providerConfigKey, list, metadata, mode);
    if (unknown !== null) {
      const rest = list.length > 1 ? '. No actions were taken on any of the connections as a result of this failure.' : '';
      const message =
        `Connection with connection id ${unknown} and provider config key ${providerConfigKey} not found. ` +
        `Please make sure the connection exists in the Nango dashboard${rest}`;
      return { status: 404, body: { error: { code: 'unknown_connection', message } } };
    }
    return { status: mode === 'replace' ? 201 : 200, body: parsed.data };
  };
}
