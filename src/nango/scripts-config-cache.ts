import type { NangoClient } from './nango-client.js';

/** `GET /scripts/config`, fetched at most once per `maxAgeMs` by one process, however many jobs ask. */
export interface ScriptsConfigCache {
  /** The cached body, or a fresh one when older than `maxAgeMs` or when `fresh` is set. */
  get(options?: { fresh?: boolean; signal?: AbortSignal }): Promise<unknown[]>;
}

/**
 * Every sync job needs its model's field types; asking Nango each time would double the API budget a job spends.
 * Concurrent callers share one request in flight; a failed request is not cached.
 */
export function createScriptsConfigCache(
  deps: { nango: NangoClient; now?: () => number },
  options: { maxAgeMs: number; /** Aborts the shared request: the owner is shutting down. */ signal?: AbortSignal },
): ScriptsConfigCache {
  const now = deps.now ?? (() => performance.now());
  let cached: { body: unknown[]; at: number } | undefined;
  let inFlight: Promise<unknown[]> | undefined;

  return {
    async get({ fresh = false, signal } = {}) {
      signal?.throwIfAborted();
      if (!fresh && cached && now() - cached.at < options.maxAgeMs) return cached.body;
      inFlight ??= (async () => {
        const startedAt = now();
        try {
          // Not a caller's signal: the request is shared, and one caller giving up must not fail the others.
          const body = await deps.nango.getScriptsConfig({ signal: options.signal });
          cached = { body, at: startedAt };
          return body;
        } finally {
          inFlight = undefined;
        }
      })();
      if (!signal) return inFlight;
      return new Promise<unknown[]>((resolve, reject) => {
        const onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        inFlight!.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
      });
    },
  };
}
