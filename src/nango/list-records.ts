import { ReplicatorError } from '../errors/replicator-error.js';
import { type NangoHttpDeps, type NangoHttpOptions, nangoGet } from './nango-request.js';
import type { RecordsPage } from './nango-record.js';
import { parseRecordsPage } from './parse-records-page.js';

/** Which stream to read and from where. */
export interface ListRecordsParams {
  providerConfigKey: string;
  connectionId: string;
  model: string;
  /** Resume after this position; null reads from the beginning. */
  cursor: string | null;
  /** Records per request, 1..10000. */
  limit: number;
  /** Only records modified at or after this instant (sent in UTC `Z` form). */
  modifiedAfter?: Date;
  signal?: AbortSignal;
}

/**
 * Pages through `GET /records` until `next_cursor` is null, one page in memory at a time plus the next one
 * in flight: while the caller writes page N, page N+1 is already being fetched. Never sends `filter`
 * (REFERENCE 1.7); never infers the end from a short page.
 *
 * A stored cursor that Nango keeps answering with 500 (it cannot decode it, REFERENCE 1.6) ends the
 * iteration with the terminal `cursor_rejected` error instead of being retried forever.
 */
export async function* listRecords(
  deps: NangoHttpDeps,
  options: NangoHttpOptions,
  params: ListRecordsParams,
): AsyncGenerator<RecordsPage> {
  const stop = new AbortController();
  const signal = params.signal ? AbortSignal.any([params.signal, stop.signal]) : stop.signal;
  const fetchPage = (cursor: string | null) => getPage(deps, options, { ...params, cursor, signal });
  let next: Promise<RecordsPage> | null = fetchPage(params.cursor).catch((error: unknown) => {
    throw params.cursor !== null && isServerError(error) ? cursorRejected(params, error) : error;
  });
  try {
    while (next !== null) {
      const page: RecordsPage = await next;
      next = page.nextCursor === null ? null : fetchPage(page.nextCursor);
      next?.catch(() => {}); // observed when awaited; this keeps an early exit from leaving it unhandled
      yield page;
    }
  } finally {
    stop.abort(new Error('records iteration ended'));
  }
}

async function getPage(deps: NangoHttpDeps, options: NangoHttpOptions, params: ListRecordsParams): Promise<RecordsPage> {
  const body = await nangoGet(deps, options, {
    path: '/records',
    query: {
      model: params.model,
      limit: params.limit,
      cursor: params.cursor ?? undefined,
      modified_after: params.modifiedAfter?.toISOString(),
    },
    headers: { 'Connection-Id': params.connectionId, 'Provider-Config-Key': params.providerConfigKey },
    context: { integration: params.providerConfigKey, connection: params.connectionId, model: params.model },
    signal: params.signal,
  });
  return parseRecordsPage(body);
}

function isServerError(error: unknown): boolean {
  return error instanceof ReplicatorError && error.code === 'nango_server_error';
}

function cursorRejected(params: ListRecordsParams, cause: unknown): ReplicatorError {
  return new ReplicatorError(
    'cursor_rejected',
    `Nango answered 500 to every attempt to resume ${params.model} of ${params.providerConfigKey}/${params.connectionId} ` +
      'from the stored cursor: it is probably corrupt or no longer valid. Re-read the stream from the start with `sync --full`.',
    { retry: 'terminal', cause, details: { cursor: params.cursor } },
  );
}
