import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { errorSummary } from '../../errors/error-summary.js';
import type { NangoClient } from '../../nango/nango-client.js';
import type { SyncStatusItem } from '../../nango/get-sync-status.js';
import { abortableSleep } from '../../util/abortable-sleep.js';

export interface SyncStatusReaderDeps {
  nango: Pick<NangoClient, 'getSyncStatus'>;
  redis: Redis;
  logger: Logger;
  /** Acts on one integration's complete listing (every connection's syncs and variants). */
  onListing(integration: string, items: ReadonlyArray<SyncStatusItem>): Promise<void>;
}

export interface SyncStatusReaderOptions {
  integrations: ReadonlyArray<string>;
  /** One request per integration this often, ms. */
  everyMs: number;
  /** An answer slower than this is abandoned, ms. */
  timeoutMs: number;
  /** Redis key of the fleet's lease: one process asks per period. */
  leaseKey: string;
  owner: string;
  /** What the listing is for, in the log line of a failure (e.g. `its streams keep polling`). */
  onFailure: string;
}

/**
 * Reads `GET /sync/status` for whole integrations (docs/nango-api.md 10.1) every `everyMs`, in one process of the fleet
 * (a lease nobody releases, as discovery's), and hands each complete answer to `onListing`. The answer is slow on
 * Nango's side for thousands of connections and a 500 for the whole integration when one schedule is missing: a
 * failure or an answer slower than `timeoutMs` is skipped (nothing is concluded from it) and logged once per
 * integration until it answers again. Returns a stop function.
 */
export function startSyncStatusReader(deps: SyncStatusReaderDeps, options: SyncStatusReaderOptions): { close(): Promise<void> } {
  const controller = new AbortController();
  const { signal } = controller;
  const failing = new Set<string>();
  const getSyncStatus = deps.nango.getSyncStatus;

  async function read(integration: string): Promise<void> {
    if (getSyncStatus === undefined) return;
    try {
      const bounded = AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]);
      const items = await getSyncStatus({ providerConfigKey: integration, timeoutMs: options.timeoutMs, signal: bounded });
      if (failing.delete(integration)) deps.logger.info({ integration }, 'GET /sync/status answers again');
      await deps.onListing(integration, items);
    } catch (error) {
      if (signal.aborted || failing.has(integration)) return;
      failing.add(integration);
      deps.logger.warn(
        { integration, err: errorSummary(error) },
        `GET /sync/status failed or was too slow: ${options.onFailure} (logged once until it answers again)`,
      );
    }
  }

  const loop = (async () => {
    while (!signal.aborted) {
      try {
        const leased = await deps.redis.set(options.leaseKey, options.owner, 'PX', options.everyMs, 'NX');
        if (leased === 'OK') for (const integration of options.integrations) await read(integration);
      } catch (error) {
        if (!signal.aborted) deps.logger.warn({ err: errorSummary(error) }, 'GET /sync/status: lease failed; trying next period');
      }
      try {
        await abortableSleep(options.everyMs, signal);
      } catch {
        break; // closing
      }
    }
  })();
  return {
    async close() {
      controller.abort(new Error('GET /sync/status reader stopped'));
      await loop;
    },
  };
}
