import type { Kysely } from 'kysely';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { startSyncStatusReader } from '../jobs/discovery/start-sync-status-reader.js';
import type { NangoClient } from '../nango/nango-client.js';
import type { SyncStatusItem } from '../nango/get-sync-status.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import type { StreamKey } from '../stream/stream-key.js';
import { forEachBounded } from '../util/for-each-bounded.js';
import { markHintedStreams } from './mark-hinted-streams.js';
import { recordNangoCounts } from '../store/record-nango-counts.js';

export interface SyncStatusHintsDeps {
  db: Kysely<ReplicatorDatabase>;
  nango: Pick<NangoClient, 'getSyncStatus'>;
  redis: Redis;
  logger: Logger;
  /** Asks for a pull of a stream now (`requestStreamSync`, not as a webhook). */
  requestPull(stream: StreamKey): Promise<unknown>;
  /** Also told each complete listing (e.g. to record the variants it lists), after the hints are acted on. */
  onListing?(integration: string, items: ReadonlyArray<SyncStatusItem>): Promise<void>;
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
 * The `detection: syncStatus` hint: every `everyMs`, in one process of the fleet, one `GET /sync/status` per
 * integration; the streams whose sync is running or finished after their last read are marked and pulled now, and
 * Nango's record counts are kept beside the streams' rows (`recordNangoCounts`). A hint
 * only (docs/nango-api.md 10.1): a failure, a 500 or an answer slower than `timeoutMs` changes nothing (the streams
 * keep polling) and is logged once per integration until it answers again. Returns a stop function.
 */
export function startSyncStatusHints(deps: SyncStatusHintsDeps, options: SyncStatusHintsOptions): { close(): Promise<void> } {
  return startSyncStatusReader(
    {
      nango: deps.nango,
      redis: deps.redis,
      logger: deps.logger,
      async onListing(integration, items) {
        const marked = await markHintedStreams(deps.db, integration, items);
        await recordNangoCounts(deps.db, integration, items);
        await forEachBounded(marked, 20, async (stream) => void (await deps.requestPull(stream)));
        if (marked.length > 0) deps.logger.debug({ integration, streams: marked.length }, 'GET /sync/status: changed streams pulled');
        await deps.onListing?.(integration, items);
      },
    },
    { ...options, onFailure: 'its streams keep polling' },
  );
}
