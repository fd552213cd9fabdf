import { STREAM_STATES, type StreamFilter, type StreamStateName } from '../store/stream-filter.js';

/** Streams per page of the status page. */
export const STATUS_PAGE_SIZE = 50;
/** Longest filter value accepted, characters. */
const MAX_VALUE_CHARS = 255;
/** Seconds between automatic reloads of the page, unless `refresh=off`. */
export const AUTO_REFRESH_SECONDS = 30;

/** What the page's URL asks for: filters, the page number and whether the page reloads itself. */
export interface StatusPageQuery {
  filter: StreamFilter;
  /** 1-based. */
  page: number;
  refresh: boolean;
}

/**
 * Reads `?q=&integration=&connection=&model=&state=&page=&refresh=off` into a query, or says what was wrong (the
 * message names the parameter and the values allowed; the caller escapes it like any text).
 */
export function parseStatusPageQuery(raw: unknown): { ok: true; query: StatusPageQuery } | { ok: false; message: string } {
  const params = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const filter: StreamFilter = {};
  for (const [name, key] of [
    ['q', 'search'],
    ['integration', 'integration'],
    ['connection', 'connection'],
    ['model', 'model'],
  ] as const) {
    const value = params[name];
    if (value === undefined || value === '') continue;
    if (typeof value !== 'string') return { ok: false, message: `${name} must be given once.` };
    if (value.length > MAX_VALUE_CHARS) return { ok: false, message: `${name} must be at most ${MAX_VALUE_CHARS} characters.` };
    filter[key] = value;
  }
  const state = params.state;
  if (state !== undefined && state !== '') {
    if (typeof state !== 'string' || !(STREAM_STATES as ReadonlyArray<string>).includes(state)) {
      return { ok: false, message: `state must be one of ${STREAM_STATES.join(', ')}.` };
    }
    filter.state = state as StreamStateName;
  }
  let page = 1;
  if (params.page !== undefined && params.page !== '') {
    page = typeof params.page === 'string' && /^\d{1,6}$/.test(params.page) ? Number(params.page) : 0;
    if (page < 1) return { ok: false, message: 'page must be a whole number from 1 to 999999.' };
  }
  return { ok: true, query: { filter, page, refresh: params.refresh !== 'off' } };
}

/** The page's own URL for `query` with `changes` applied: only the parameters that differ from the defaults. */
export function statusPageHref(query: StatusPageQuery, changes: Partial<StatusPageQuery> = {}): string {
  const next = { ...query, ...changes };
  const params = new URLSearchParams();
  const f = next.filter;
  if (f.search !== undefined) params.set('q', f.search);
  if (f.integration !== undefined) params.set('integration', f.integration);
  if (f.connection !== undefined) params.set('connection', f.connection);
  if (f.model !== undefined) params.set('model', f.model);
  if (f.state !== undefined) params.set('state', f.state);
  if (next.page > 1) params.set('page', String(next.page));
  if (!next.refresh) params.set('refresh', 'off');
  const text = params.toString();
  return text === '' ? '?' : `?${text}`;
}
