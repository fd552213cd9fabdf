import { ReplicatorError } from '../errors/replicator-error.js';
import { type NangoHttpDeps, type NangoHttpOptions, type NangoResponseBody, nangoGetBody, parseResponseJson } from './nango-request.js';
import type { RecordsPage } from '../write/records-page.js';
import { parseRecordsPage } from './parse-records-page.js';
import { BASE_VARIANT, describeModel } from '../stream/stream-key.js';

/** Which stream to read and from where. */
export interface ListRecordsParams {
  providerConfigKey: string;
  connectionId: string;
  model: string;
  /** The sync variant; absent or `base` for a sync without variants (then not sent, as before variants). */
  variant?: string;
  /** Resume after this position; null reads from the beginning. */
  cursor: string | null;
  /** Records per request, 1..10000. */
  limit: number;
  /** Only records modified at or after this instant (sent in UTC `Z` form). */
  modifiedAfter?: Date;
  /**
   * Yield at most this many pages, and never ask for one more: a bounded slice sends exactly the requests it
   * consumes. Default: to the end of the stream.
   */
  maxPages?: number;
  signal?: AbortSignal;
}

/**
 * Pages through `GET /records` until `next_cursor` is null (or `maxPages` pages), one page in the caller's hands at a
 * time plus the next one in flight: while the caller writes page N, page N+1 is already being fetched. The page
 * fetched ahead is kept as its response bytes (outside the JavaScript heap) and parsed when the caller asks for it,
 * and the iterator holds no page it has handed over, so a caller that waits before asking for the next page keeps
 * only those bytes alive meanwhile.
 * Never sends `filter` (docs/nango-api.md 1.7); never infers the end from a short page.
 *
 * A stored cursor that Nango keeps answering with 500 (it cannot decode it, docs/nango-api.md 1.6) ends the
 * iteration with the terminal `cursor_rejected` error instead of being retried forever.
 */
export async function* listRecords(deps: NangoHttpDeps, options: NangoHttpOptions, params: ListRecordsParams): AsyncGenerator<RecordsPage> {
  const stop = new AbortController();
  const signal = params.signal ? AbortSignal.any([params.signal, stop.signal]) : stop.signal;
  const left = params.maxPages ?? Number.POSITIVE_INFINITY;
  const ahead: PageAhead = {
    fetch: (cursor) => getPageBody(deps, options, { ...params, cursor, signal }),
    next:
      left < 1
        ? null
        : getPageBody(deps, options, { ...params, signal }).catch((error: unknown) => {
            throw params.cursor !== null && isServerError(error) ? cursorRejected(params, error) : error;
          }),
    left,
  };
  try {
    // No page in a local of this generator: it would stay alive while the generator waits at `yield`.
    while (ahead.next !== null) yield await takePage(ahead);
  } finally {
    stop.abort(new Error('records iteration ended'));
  }
}

/** The page fetched ahead of the caller, and how to fetch the one after it. */
interface PageAhead {
  fetch: (cursor: string) => Promise<NangoResponseBody>;
  /** The next page's response, in flight or arrived; null once there is none to read. */
  next: Promise<NangoResponseBody> | null;
  /** Pages the caller may still take. */
  left: number;
}

/** Parses the page fetched ahead and starts fetching the one after it (unless it is the last to take). */
async function takePage(ahead: PageAhead): Promise<RecordsPage> {
  const response = ahead.next as Promise<NangoResponseBody>;
  ahead.next = null;
  const body = await response;
  const page: RecordsPage = { ...parseRecordsPage(parseResponseJson(body)), body: body.bytes };
  ahead.left -= 1;
  if (page.nextCursor !== null && ahead.left > 0) {
    ahead.next = ahead.fetch(page.nextCursor);
    ahead.next.catch(() => {}); // observed when taken; this keeps an early exit from leaving it unhandled
  }
  return page;
}

async function getPageBody(deps: NangoHttpDeps, options: NangoHttpOptions, params: ListRecordsParams): Promise<NangoResponseBody> {
  return nangoGetBody(deps, options, {
    path: '/records',
    query: {
      model: params.model,
      variant: params.variant === undefined || params.variant === BASE_VARIANT ? undefined : params.variant,
      limit: params.limit,
      cursor: params.cursor ?? undefined,
      modified_after: params.modifiedAfter?.toISOString(),
    },
    headers: { 'Connection-Id': params.connectionId, 'Provider-Config-Key': params.providerConfigKey },
    context: { integration: params.providerConfigKey, connection: params.connectionId, model: params.model },
    signal: params.signal,
  });
}

function isServerError(error: unknown): boolean {
  return error instanceof ReplicatorError && error.code === 'nango_server_error';
}

function cursorRejected(params: ListRecordsParams, cause: unknown): ReplicatorError {
  return new ReplicatorError(
    'cursor_rejected',
    `Nango answered 500 to every attempt to resume ${describeModel({ model: params.model, variant: params.variant ?? BASE_VARIANT })} of ${params.providerConfigKey}/${params.connectionId} ` +
      'from the stored cursor: it is probably corrupt or no longer valid. The stream must be re-read from the start: a ' +
      'worker schedules a replace backfill of it by itself; by hand, run a `replace` backfill of it, or `sync --full`.',
    { retry: 'terminal', cause, details: { cursor: params.cursor } },
  );
}
