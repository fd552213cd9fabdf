import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { FaultPlan } from './fault-plan.js';
import { handleRequest, type StandInCounters } from './handle-request.js';
import type { LoggedRequest } from './logged-request.js';
import { createRateLimitWindow, type WindowCount } from './rate-limit-window.js';
import { RecordStore } from './record-store.js';

const UUID_V4 = /^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/i;
const WINDOW_MS = 60_000;
/** X-RateLimit-Limit sent when no limit is configured. */
const UNLIMITED_POINTS = 1_000_000;

/** Options of {@link startNangoStandIn}. */
export interface NangoStandInOptions {
  /** The only accepted environment secret key (a UUID v4); any other UUID v4 gets 401 unknown_account. */
  secretKey: string;
  /**
   * The scopes of the secret key, as a scoped API key has them: a route needing another answers 403 `forbidden`
   * ("Insufficient scope. Required: ..."). Absent: full access.
   */
  scopes?: ReadonlyArray<string>;
  /** Port to listen on. Default 0: an ephemeral port. */
  port?: number;
  /** Interface to bind. Default `127.0.0.1`. */
  host?: string;
  /**
   * Nango's limiter (docs/nango-api.md 2): `requestsPerMinute` points per account in a fixed window of `windowMs`
   * (default 60 s, Nango's; shorter only to keep a test short). null/absent: unlimited, still sending X-RateLimit-*
   * (limit 1,000,000).
   */
  rateLimit?: { requestsPerMinute: number; windowMs?: number } | null;
  /** Millisecond clock for the rate-limit window, request log and record timestamps. Default Date.now. */
  now?: () => number;
}

/** Counters since start. */
export interface NangoStandInStats {
  /** Requests received, including rejected and reset ones. */
  readonly requests: number;
  /** 429 responses sent (limiter and injected). */
  readonly tooManyRequests: number;
  /** Sockets reset by {@link FaultPlan.destroyNext}. */
  readonly socketsDestroyed: number;
}

/** A running local stand-in of the Nango API. */
export interface NangoStandIn {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:43123`. */
  url: string;
  /** The data; mutable while a client pages. */
  store: RecordStore;
  /** Injected failures. */
  faults: FaultPlan;
  /** The rate limiter's windows so far, oldest first: what the account's limit let in, by the stand-in's clock. */
  rateLimitWindows(): ReadonlyArray<WindowCount>;
  /** Every request received, in arrival order (authorization redacted). */
  requests: ReadonlyArray<LoggedRequest>;
  stats: NangoStandInStats;
  /** Exceptions thrown while answering (each was sent as 500 generic_error_support); empty when healthy. */
  errors: ReadonlyArray<unknown>;
  /** Stops listening and drops open connections. Idempotent. */
  close(): Promise<void>;
}

/** Starts the stand-in HTTP server (docs/nango-api.md) and resolves once it listens. */
export async function startNangoStandIn(options: NangoStandInOptions): Promise<NangoStandIn> {
  if (!UUID_V4.test(options.secretKey)) throw new TypeError('secretKey must be a UUID v4');
  const now = options.now ?? Date.now;
  const store = new RecordStore({ now });
  const faults = new FaultPlan();
  const log: LoggedRequest[] = [];
  const errors: unknown[] = [];
  const counters: StandInCounters = { requests: 0, tooManyRequests: 0, socketsDestroyed: 0 };
  const shutdown = new AbortController();
  const limiter = createRateLimitWindow({
    points: options.rateLimit?.requestsPerMinute ?? UNLIMITED_POINTS,
    durationMs: options.rateLimit?.windowMs ?? WINDOW_MS,
    now,
  });
  const deps = {
    secretKey: options.secretKey,
    scopes: options.scopes,
    store,
    faults,
    limiter,
    now,
    log,
    counters,
    signal: shutdown.signal,
    onError: (e: unknown) => errors.push(e),
  };

  const server = createServer((req, res) => void handleRequest(req, res, deps));
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    store,
    faults,
    requests: log,
    rateLimitWindows: () => limiter.windows(),
    stats: counters,
    errors,
    close() {
      closing ??= new Promise<void>((resolve) => {
        shutdown.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
