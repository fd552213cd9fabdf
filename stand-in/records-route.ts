import { validationErrorReply } from './api-errors.js';
import type { Reply } from './http-reply.js';
import { decodeCursor } from './record-cursor.js';
import { recordsFilter } from './records-filter.js';
import { recordsHeadersSchema, recordsQuerySchema, storedModelName } from './records-query.js';
import { renderMetadata } from './render-record.js';
import { recordsPageJson } from './render-record-json.js';
import { headerValue, type RouteHandler } from './route-handler.js';
import { selectRecords } from './select-records.js';

const DEFAULT_LIMIT = 100;
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * GET /records (docs/nango-api.md 1): validate query then headers, resolve the connection, decode the
 * cursor (500 when it does not decode), fetch `limit + 1` rows to decide `next_cursor`.
 */
export const getRecordsRoute: RouteHandler = (request, { store, now }) => {
  const query = recordsQuerySchema(now()).safeParse(request.query);
  if (!query.success) return validationErrorReply('invalid_query_params', query.error.issues);
  const headers = recordsHeadersSchema.safeParse({
    'connection-id': headerValue(request.headers, 'connection-id'),
    'provider-config-key': headerValue(request.headers, 'provider-config-key'),
  });
  if (!headers.success) return validationErrorReply('invalid_headers', headers.error.issues);

  const connection = store.findConnection(headers.data['provider-config-key'], headers.data['connection-id']);
  if (!connection) {
    return {
      status: 400,
      body: {
        error: { code: 'unknown_connection', message: 'Provided ConnectionId and ProviderConfigKey does not match a valid connection' },
      },
    };
  }

  const { model, variant, cursor, filter, ids } = query.data;
  const after = cursor === undefined ? undefined : decodeCursor(cursor);
  if (cursor !== undefined && !after) return serverError();

  const modifiedAfter = query.data.delta || query.data.modified_after;
  const limit = query.data.limit || DEFAULT_LIMIT;
  const rows = selectRecords(store.orderedRecords(connection, storedModelName(model, variant)), {
    after,
    // dayjs(...).toISOString() keeps milliseconds only, like Date.parse.
    modifiedAfterMicros: modifiedAfter ? Date.parse(modifiedAfter) * 1000 : undefined,
    ids,
    predicate: recordsFilter(filter),
    // knex parseInt()s the LIMIT while the has-more test uses limit + 1 as is (matters for 1.5).
    fetchCount: Math.trunc(limit + 1),
  });
  const hasMore = rows.length >= limit + 1;
  if (hasMore) rows.pop();
  const last = rows[rows.length - 1];
  const body = recordsPageJson(hasMore && last ? renderMetadata(last).cursor : null, rows);
  // Bytes are sent as they are: already the JSON that `res.send` would have made of the page object.
  return { status: 200, body, headers: { 'Content-Type': JSON_CONTENT_TYPE } };
};

function serverError(): Reply {
  return { status: 500, body: { error: { code: 'server_error', message: 'Failed to fetch records' } } };
}
