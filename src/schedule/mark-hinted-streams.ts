import { type Kysely, sql } from 'kysely';
import type { SyncStatusItem } from '../nango/get-sync-status.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import { BASE_VARIANT, type StreamKey } from '../stream/stream-key.js';

/**
 * Marks (`read_requested_at`) the streams of one integration that `GET /sync/status` says may have changed: their
 * connection's sync is running, or finished after the stream's last read (docs/nango-api.md 10.1). The models are
 * the latest job's (`latestResult` keys, base names), or every stream of the connection when it names none; the
 * variant is the item's (`base` when it names none: REFERENCE 10.1). Returns the streams
 * marked now (not those already marked since their last read). One statement.
 */
export async function markHintedStreams(
  db: Kysely<ReplicatorDatabase>,
  providerConfigKey: string,
  items: ReadonlyArray<SyncStatusItem>,
): Promise<StreamKey[]> {
  const hints = items.flatMap((item) => {
    const running = item.status === 'RUNNING' || item.latestExecutionStatus === 'RUNNING';
    if (!running && item.finishedAt === undefined) return [];
    const models = Object.keys(item.latestResult ?? {});
    const finished = running ? null : item.finishedAt;
    const variant = item.variant ?? BASE_VARIANT;
    return [{ connection: item.connection_id, variant, models: models.length === 0 ? null : models.join('\n'), finished }];
  });
  if (hints.length === 0) return [];
  const connections = hints.map((h) => h.connection);
  const variants = hints.map((h) => h.variant);
  const models = hints.map((h) => h.models);
  const finished = hints.map((h) => h.finished);
  const { rows } = await sql<{ connection_id: string; model: string; variant: string }>`
    UPDATE nango_replicator.streams s SET read_requested_at = now()
      FROM unnest(${connections}::text[], ${variants}::text[], ${models}::text[], ${finished}::timestamptz[])
           AS h(connection_id, variant, models, finished_at)
     WHERE s.provider_config_key = ${providerConfigKey} AND s.connection_id = h.connection_id AND s.variant = h.variant
       AND (h.models IS NULL OR s.model = ANY (string_to_array(h.models, E'\\n')))
       AND (h.finished_at IS NULL OR s.last_read_at IS NULL OR s.last_read_at < h.finished_at)
       AND (s.read_requested_at IS NULL OR s.last_read_at IS NULL OR s.read_requested_at <= s.last_read_at)
    RETURNING s.connection_id, s.model, s.variant`.execute(db);
  return rows.map((r) => ({ providerConfigKey, connectionId: r.connection_id, model: r.model, variant: r.variant }));
}
