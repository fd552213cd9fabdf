import type { Kysely } from 'kysely';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { errorSummary } from '../errors/error-summary.js';
import type { NangoClient } from '../nango/nango-client.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import type { StreamKey } from '../stream/stream-key.js';
import { abortableSleep } from '../util/abortable-sleep.js';
import { forEachBounded } from '../util/for-each-bounded.js';
import { markHintedStreams } from './mark-hinted-streams.js';
import { recordNangoCounts } from './record-nango-counts.js';

export interface SyncStatusHintsDeps {
  db: Kysely<ReplicatorDatabase>;
  nango: Pick<NangoClient, 'getSyncStatus'>;
  redis: Redis;
  logger: Logger;
  /** Asks for a pull of a stream now (`requestStreamSync`, not as a webhook). */
  requestPull(stream: StreamKey): Promise<unknown>;
}

export interface SyncStatusHintsOptions {
  /** The integrations with `detection: syncStatus`. */
  integrations: ReadonlyArray<string>;
  /** One request per integration this often, ms. */
  everyMs: number;
  /** An answer slower than this is abandoned, ms. */
  timeoutMs: number;
  /** Redis key of the fleet's lease: one process asks per period. */
  leaseKey: string;
  owner: string;
}

/**
 * The `detection: syncStatus` hint: every `everyMs`, in one process of the fleet (a lease, as discovery), one
 * `GET /sync/status` per integration; the streams whose sync is running or finished after their last read are
 * marked and pulled now, and Nango's record counts are kept beside the streams' rows (`recordNangoCounts`). A hint
 * only (docs/nango-api.md 10.1): a failure, a 500 or an answer slower than `timeoutMs` changes nothing (the streams
 * keep polling) and is logged once per integration until it answers again.
 * Returns a stop function.
 */
export function startSyncStatusHints(deps: SyncStatusHintsDeps, options: SyncStatusHintsOptions): { close(): Promise<void> } {
  const controller = new AbortController();
  const { signal } = controller;
  const failing = new Set<string>();
  const getSyncStatus = deps.nango.getSyncStatus;

  async function hint(integration: string): Promise<void> {
    if (getSyncStatus === undefined) return;
    try {
      const bounded = AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]);
      const items = await getSyncStatus({ providerConfigKey: integration, timeoutMs: options.timeoutMs, signal: bounded });
      if (failing.delete(integration)) deps.logger.info({ integration }, 'GET /sync/status answers again: its hints are used');
      const marked = await markHintedStreams(deps.db, integration, items);
      await recordNangoCounts(deps.db, integration, items);
      await forEachBounded(marked, 20, async (stream) => void (await deps.requestPull(stream)));
      if (marked.length > 0) deps.logger.debug({ integration, streams: marked.length }, 'GET /sync/status: changed streams pulled');
    } catch (error) {
      if (signal.aborted) return;
      if (failing.has(integration)) return;
      failing.add(integration);
      deps.logger.warn(
        { integration, err: errorSummary(error) },
        'GET /sync/status failed or was too slow: its streams keep polling (logged once until it answers again)',
      );
    }
  }

  const loop = (async () => {
    while (!signal.aborted) {
      try {
        const leased = await deps.redis.set(options.leaseKey, options.owner, 'PX', options.everyMs, 'NX');
        if (leased === 'OK') for (const integration of options.integrations) await hint(integration);
      } catch (error) {
        if (!signal.aborted) deps.logger.warn({ err: errorSummary(error) }, 'sync status hints: lease failed; trying next period');
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
      controller.abort(new Error('sync status hints stopped'));
      await loop;
    },
  };
}
