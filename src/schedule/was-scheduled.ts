import type { Kysely } from 'kysely';
import { streamFromSchedulerId } from '../stream/stream-ids.js';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';

/**
 * Of these scheduler ids, those whose stream had a schedule before: its row holds the period a scheduled job
 * stored (`poll_every_ms`). One query per call; the reconciler calls it only for schedulers missing from the queue.
 */
export async function wasScheduled(db: Kysely<ReplicatorDatabase>, ids: ReadonlyArray<string>): Promise<ReadonlySet<string>> {
  const found = new Set<string>();
  const byKey = new Map<string, string>();
  for (const id of ids) {
    const stream = streamFromSchedulerId(id);
    if (stream !== null) byKey.set(streamKeyText(stream.providerConfigKey, stream.connectionId, stream.model, stream.variant), id);
  }
  const integrations = [...new Set([...byKey.keys()].map((k) => k.split('\u0000')[0] as string))];
  if (integrations.length === 0) return found;
  const rows = await db
    .selectFrom('nango_replicator.streams')
    .select(['provider_config_key', 'connection_id', 'model', 'variant'])
    .where('provider_config_key', 'in', integrations)
    .where('poll_every_ms', 'is not', null)
    .execute();
  for (const row of rows) {
    const id = byKey.get(streamKeyText(row.provider_config_key, row.connection_id, row.model, row.variant));
    if (id !== undefined) found.add(id);
  }
  return found;
}

function streamKeyText(...parts: string[]): string {
  return parts.join('\u0000');
}
