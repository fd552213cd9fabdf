import { sql, type Transaction } from 'kysely';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import type { StreamKey } from '../stream/stream-key.js';

/** The channel a consumer `LISTEN`s on to learn that a model table changed (see docs/change-feed.md). */
export const CHANGES_CHANNEL = 'nango_replicator_changes';

/** The JSON payload of a notification on {@link CHANGES_CHANNEL}. */
export interface ChangesNotice {
  /** The model table, `schema.table` as Postgres names it. */
  table: string;
  stream: StreamKey;
  /** Rows the transaction changed: written (soft deletes included) or removed. */
  count: number;
}

/**
 * Queues a notification on {@link CHANGES_CHANNEL} in the writing transaction. Postgres delivers it when, and only
 * if, the transaction commits, after its rows are visible to other sessions: a listener never hears of a change it
 * cannot read yet, and never of one rolled back. Nothing is sent for a transaction that changed nothing.
 */
export async function notifyChanges(
  trx: Transaction<ReplicatorDatabase>,
  change: { schema: string; table: string; stream: StreamKey; count: number },
): Promise<void> {
  if (change.count <= 0) return;
  const { providerConfigKey, connectionId, model, variant } = change.stream;
  const stream = { providerConfigKey, connectionId, model, variant };
  const notice: ChangesNotice = { table: `${change.schema}.${change.table}`, stream, count: change.count };
  await sql`SELECT pg_notify(${CHANGES_CHANNEL}, ${JSON.stringify(notice)})`.execute(trx);
}
