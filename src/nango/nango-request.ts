import { isAscii } from 'node:buffer';
import pRetry from 'p-retry';
import type { Logger } from 'pino';
import type { Secret } from '../config/secret.js';
import { describeNangoTransportError, displayHost, NANGO_HOST_UNREACHABLE_CODES } from '../errors/describe-infrastructure-error.js';
import { ReplicatorError } from '../errors/replicator-error.js';
import type { RateLimitObservation, RequestGate } from '../ratelimit/request-gate.js';
import { abortableSleep } from '../util/abortable-sleep.js';
import { readBody } from './read-body.js';
import { type RequestContext, responseError } from './response-error.js';

export interface NangoHttpDeps {
  fetch: typeof fetch;
  /** Takes a token before every attempt and hears every response's rate-limit headers. */
  gate: RequestGate;
  logger: Logger;
}

/** Connection settings of the Nango HTTP client. Durations in ms. */
export interface NangoHttpOptions {
  host: string;
  secretKey: Secret;
  requestTimeoutMs: number;
  /** Retries after a 5xx, timeout or network error. 429s wait as told and do not use these up. */
  retries: number;
  retryMinDelayMs: number;
  retryMaxDelayMs: number;
  /**
   * Fail at once, without retries, when NANGO_HOST cannot be reached at all (its name does not resolve, or the
   * connection is refused): for a one-shot command, where the operator is waiting. Default false: a worker retries.
   */
  failFastWhenUnreachable?: boolean;
}

export interface NangoRequest {
  /** Default GET. Only idempotent methods: a request is retried as a whole. */
  method?: 'GET' | 'PATCH';
  path: string;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  json?: unknown;
  context: Omit<RequestContext, 'method' | 'path'>;
  signal?: AbortSignal;
}

const USER_AGENT = 'nango-replicator/0.1';

/** A successful response's body, not decoded nor parsed yet. */
export interface NangoResponseBody {
  /** The body's bytes as sent: outside the JavaScript heap until decoded. */
  bytes: Uint8Array;
  status: number;
  contentType: string | null;
  context: RequestContext;
}

/**
 * One request to Nango (a GET unless `request.method` says otherwise), with one retry layer (p-retry, jitter on):
 * transient failures back off, a 429 waits for `Retry-After` (or `X-RateLimit-Reset`) and does not use up the retry
 * budget, terminal errors (4xx) fail at once. Resolves with the parsed JSON body.
 */
export async function nangoGet(deps: NangoHttpDeps, options: NangoHttpOptions, request: NangoRequest): Promise<unknown> {
  return parseResponseJson(await nangoGetBody(deps, options, request));
}

/**
 * {@link nangoGet} without the JSON parse: resolves with the body bytes of the successful response, for a caller
 * that holds a response a while before it reads it (a prefetched records page costs its bytes only until then, and
 * not in the JavaScript heap). Pass it to {@link parseResponseJson}.
 */
export async function nangoGetBody(deps: NangoHttpDeps, options: NangoHttpOptions, request: NangoRequest): Promise<NangoResponseBody> {
  const url = buildUrl(options.host, request.path, request.query);
  const method = request.method ?? 'GET';
  const context: RequestContext = { method, path: request.path, host: displayHost(options.host), ...request.context };
  return pRetry(() => attempt(deps, options, request, url, context), {
    retries: options.retries,
    minTimeout: options.retryMinDelayMs,
    maxTimeout: options.retryMaxDelayMs,
    factor: 2,
    randomize: true,
    signal: request.signal,
    shouldRetry: ({ error }) =>
      error instanceof ReplicatorError &&
      error.retry === 'transient' &&
      !(options.failFastWhenUnreachable === true && NANGO_HOST_UNREACHABLE_CODES.has(error.code)),
    shouldConsumeRetry: ({ error }) => !(error instanceof ReplicatorError && error.code === 'nango_rate_limited'),
    onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
      if (!(error instanceof ReplicatorError) || error.retry === 'terminal') return;
      if (options.failFastWhenUnreachable === true && NANGO_HOST_UNREACHABLE_CODES.has(error.code)) return;
      deps.logger.warn(
        { err: error.toJSON(), attempt: attemptNumber, retriesLeft },
        `Nango request failed (attempt ${attemptNumber}, ${retriesLeft} ${retriesLeft === 1 ? 'retry' : 'retries'} left): ${error.message}`,
      );
      const waitMs = error.details.waitMs;
      if (typeof waitMs === 'number' && waitMs > 0) await abortableSleep(waitMs, request.signal);
    },
  });
}

async function attempt(
  deps: NangoHttpDeps,
  options: NangoHttpOptions,
  request: NangoRequest,
  url: URL,
  context: RequestContext,
): Promise<NangoResponseBody> {
  await deps.gate.acquire(request.signal);
  const started = performance.now();
  const timeout = AbortSignal.timeout(options.requestTimeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  let response: Response;
  let bytes: Uint8Array;
  try {
    const body = request.json === undefined ? undefined : JSON.stringify(request.json);
    response = await deps.fetch(url, { method: context.method, headers: headers(options, request), body, signal });
    bytes = await readBody(response);
  } catch (error) {
    request.signal?.throwIfAborted();
    throw transportError(error, timeout.aborted, options, context);
  }
  const observation = { ...rateLimitHeaders(response), durationMs: performance.now() - started };
  await deps.gate.observe(observation);
  deps.logger.debug(
    { path: request.path, status: response.status, ms: Math.round(performance.now() - started), bytes: bytes.byteLength },
    'nango response',
  );
  if (!response.ok) throw responseError(response.status, decodeText(bytes), context, waitAfter429(observation));
  return { bytes, status: response.status, contentType: response.headers.get('content-type'), context };
}

function headers(options: NangoHttpOptions, request: NangoRequest): Record<string, string> {
  return {
    Authorization: `Bearer ${options.secretKey.reveal()}`,
    Accept: 'application/json',
    'User-Agent': USER_AGENT,
    'Nango-Is-Sync': 'false',
    'Nango-Is-Script': 'false', // true would make Nango treat the key as an internal script key (docs/nango-api.md 0)
    ...(request.json === undefined ? {} : { 'Content-Type': 'application/json' }),
    ...request.headers,
  };
}

function buildUrl(host: string, path: string, query: NangoRequest['query']): URL {
  const url = new URL(path, `${host}/`);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined) url.searchParams.set(key, String(value));
  }
  return url;
}

function rateLimitHeaders(response: Response): RateLimitObservation {
  const number = (name: string) => {
    const value = response.headers.get(name);
    const parsed = value === null || value.trim() === '' ? NaN : Number(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  };
  return {
    status: response.status,
    limit: number('x-ratelimit-limit'),
    remaining: number('x-ratelimit-remaining'),
    resetEpochSeconds: number('x-ratelimit-reset'),
    retryAfterSeconds: number('retry-after'),
  };
}

/**
 * How long a 429 asks us to wait: Retry-After seconds (floored by Nango, so up to a second more may remain),
 * else until X-RateLimit-Reset; plus up to a second of jitter so many callers do not return together.
 */
function waitAfter429(observation: RateLimitObservation): number | undefined {
  if (observation.status !== 429) return undefined;
  const seconds =
    observation.retryAfterSeconds ??
    (observation.resetEpochSeconds === undefined ? 1 : Math.max(0, observation.resetEpochSeconds - Date.now() / 1000));
  return Math.ceil(seconds * 1000 + Math.random() * 1000);
}

/** The JSON of a response from {@link nangoGetBody}; a body that is not JSON is a terminal `nango_not_json`. */
export function parseResponseJson(response: NangoResponseBody): unknown {
  try {
    return JSON.parse(decodeText(response.bytes));
  } catch {
    // Nango serves its web app's index.html with 200 for unknown paths: the host is probably wrong.
    const { context, status } = response;
    const type = response.contentType ?? 'no content type';
    throw new ReplicatorError(
      'nango_not_json',
      `${context.method} ${context.path} answered ${status} with ${type}, not JSON. ` +
        'Check NANGO_HOST: it must be the API host (https://api.nango.dev, or your self-hosted server).',
      { retry: 'terminal', details: { status, path: context.path } },
    );
  }
}

/**
 * UTF-8 as `Response.text()` decodes it (a byte order mark is dropped, bad sequences become U+FFFD).
 *
 * A body of ASCII bytes alone (no byte order mark, nothing to replace) reads the same as latin1, which Node turns
 * into a one-byte string, kept outside V8's heap over about 1 MB. UTF-8 decoding allocates a body over 128 kB in
 * V8's large-object space instead, which cost as much as parsing it (docs/decisions/0007-payloads-are-nangos-bytes.md).
 */
export function decodeText(bytes: Uint8Array): string {
  if (isAscii(bytes)) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  return new TextDecoder().decode(bytes);
}

function transportError(error: unknown, timedOut: boolean, options: NangoHttpOptions, context: RequestContext) {
  if (!timedOut) return describeNangoTransportError(error, { host: options.host, method: context.method, path: context.path });
  return new ReplicatorError(
    'nango_timeout',
    `${context.method} ${context.path} to Nango (NANGO_HOST, ${displayHost(options.host)}) had no answer within ${options.requestTimeoutMs} ms.`,
    { retry: 'transient', details: { path: context.path } },
  );
}
