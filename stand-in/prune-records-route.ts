import * as z from 'zod';

import { validationErrorReply } from './api-errors.js';
import { decodeCursor } from './record-cursor.js';
import { modelNameSchema, recordsHeadersSchema, storedModelName, variantSchema } from './records-query.js';
import { headerValue, type RouteHandler } from './route-handler.js';

const DEFAULT_LIMIT = 1000;

const pruneBodySchema = z
  .object({
    model: modelNameSchema,
    variant: variantSchema.optional(),
    until_cursor: z.string().min(1).max(1000),
    limit: z.number().int().min(1).max(10000).optional(),
  })
  .strict();

/**
 * `PATCH /records/prune` (docs/nango-api.md 1.8): empties the payloads of the (connection, model[, variant]) records
 * up to and including `until_cursor`, oldest first, at most `limit` (default 1000) of them, and answers
 * `{count, has_more}`. Pruned records keep their id, metadata and position: `pruned_at` is set, `updated_at` (so
 * the cursor) does not move, and GET /records then returns them with only `id` and `_nango_metadata`. Records
 * already pruned are not counted again. A cursor that does not decode is a 500, as on GET /records (inference).
 */
export const pruneRecordsRoute: RouteHandler = (request, { store }) => {
  const body = pruneBodySchema.safeParse(request.body);
  if (!body.success) return validationErrorReply('invalid_body', body.error.issues);
  const headers = recordsHeadersSchema.safeParse({
    'connection-id': headerValue(request.headers, 'connection-id'),
    'provider-config-key': headerValue(request.headers, 'provider-config-key'),
  });
  if (!headers.success) return validationErrorReply('invalid_headers', headers.error.issues);
  const providerConfigKey = headers.data['provider-config-key'];
  const connectionId = headers.data['connection-id'];
  if (!store.findConnection(providerConfigKey, connectionId)) {
    return {
      status: 400,
      body: {
        error: { code: 'unknown_connection', message: 'Provided ConnectionId and ProviderConfigKey does not match a valid connection' },
      },
    };
  }
  const { model, variant, until_cursor: untilCursor } = body.data;
  const until = decodeCursor(untilCursor);
  if (!until) return { status: 500, body: { error: { code: 'server_error', message: 'Failed to prune records' } } };
  const limit = body.data.limit ?? DEFAULT_LIMIT;
  const key = storedModelName(model, variant);
  const count = store.pruneUntil(providerConfigKey, connectionId, key, until, limit);
  // Nango cannot tell without another query whether more remain: a full batch says "maybe".
  return { status: 200, body: { count, has_more: count >= limit } };
};
