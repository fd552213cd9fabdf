import { type Kysely, sql } from 'kysely';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';
import type { StreamKey } from '../stream/stream-key.js';
import { webhooksMissingSql } from '../store/stream-polling.js';
import { nextPeriodMs, type PollingState } from '../store/polling-plan.js';

/** A stream's configured period and ceiling, as its scheduled job carries them, ms. */
export interface PollingSettings {
  everyMs: number;
  safetyNetMs: number;
}

/**
 * Returns the stream's polling state with the database's `now` (null for a stream never seen: due), and stores its
 * configured period and ceiling when they are new or changed (creating its row if needed). Usually one read and
 * no write (so no row lock: a tick never waits for the page transaction of a run holding the stream); no API call.
 */
export async function loadPollingState(
  db: Kysely<ReplicatorDatabase>,
  stream: StreamKey,
  settings: PollingSettings,
): Promise<{ state: PollingState; now: Date | null }> {
  const { rows } = await sql<StateRow>`
    SELECT s.poll_every_ms, s.safety_net_ms, s.poll_period_ms, s.empty_reads, s.last_read_at, s.read_requested_at,
           ${webhooksMissingSql} AS webhooks_missing,
           coalesce((SELECT f.stretch FROM nango_replicator.fleet_schedule f WHERE f.id = 1), 1) AS stretch,
           now() AS now
      FROM nango_replicator.streams s
      LEFT JOIN nango_replicator.polling_integrations i ON i.provider_config_key = s.provider_config_key
     WHERE s.provider_config_key = ${stream.providerConfigKey} AND s.connection_id = ${stream.connectionId}
       AND s.model = ${stream.model} AND s.variant = ${stream.variant}`.execute(db);
  const row = rows[0];
  if (row === undefined || row.poll_every_ms !== settings.everyMs || row.safety_net_ms !== settings.safetyNetMs) {
    await storeSettings(db, stream, settings);
  }
  if (row === undefined) {
    const state = {
      ...settings,
      periodMs: null,
      emptyReads: 0,
      lastReadAt: null,
      readRequestedAt: null,
      webhooksMissing: false,
      stretch: 1,
    };
    return { state, now: null };
  }
  return {
    state: {
      ...settings,
      periodMs: row.poll_period_ms,
      emptyReads: row.empty_reads,
      lastReadAt: row.last_read_at,
      readRequestedAt: row.read_requested_at,
      webhooksMissing: row.webhooks_missing,
      stretch: row.stretch,
    },
    now: row.now,
  };
}

async function storeSettings(db: Kysely<ReplicatorDatabase>, stream: StreamKey, settings: PollingSettings): Promise<void> {
  await db
    .insertInto('nango_replicator.streams')
    .values({
      provider_config_key: stream.providerConfigKey,
      connection_id: stream.connectionId,
      model: stream.model,
      variant: stream.variant,
      poll_every_ms: settings.everyMs,
      safety_net_ms: settings.safetyNetMs,
    })
    .onConflict((oc) =>
      oc.constraint('streams_stream_key').doUpdateSet({ poll_every_ms: settings.everyMs, safety_net_ms: settings.safetyNetMs }),
    )
    .execute();
}

interface StateRow {
  poll_every_ms: number | null;
  safety_net_ms: number | null;
  poll_period_ms: number | null;
  empty_reads: number;
  last_read_at: Date | null;
  read_requested_at: Date | null;
  webhooks_missing: boolean;
  stretch: number;
  now: Date;
}

/** What a read that reached the end found. */
export interface ReadOutcome {
  /**
   * When the read started (the database's clock), so a change made while it ran is still caught next time; null:
   * the start of the stream's latest run (`last_run_started_at`).
   */
  startedAt: Date | null;
  /** Records (changes, deletions included) it wrote. */
  records: number;
}

/**
 * Records a read that reached the end, and adapts the stream's period:
 * - changes nobody announced bring it back to `every` (and, after a first read, mark the integration's webhooks
 *   missing): only such a read shows that the safety net must watch closely;
 * - changes a webhook or a `/sync/status` hint announced since the previous read leave the period as it was: the
 *   announcement demonstrably arrives, so the pull it asked for costs that one read and the safety net stays
 *   backed off (docs/decisions/0012-adaptive-polling-schedule.md);
 * - nothing doubles it up to the safety net.
 * The first read of a stream is a load, not a change: it leaves the stream at `every` and marks nothing.
 * Returns whether the changes were unannounced.
 */
export async function recordRead(
  db: Kysely<ReplicatorDatabase>,
  stream: StreamKey,
  outcome: ReadOutcome,
): Promise<{ unannounced: boolean }> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('nango_replicator.streams')
      .select(['id', 'poll_every_ms', 'safety_net_ms', 'poll_period_ms', 'last_read_at', 'webhook_at', 'read_requested_at'])
      .where('provider_config_key', '=', stream.providerConfigKey)
      .where('connection_id', '=', stream.connectionId)
      .where('model', '=', stream.model)
      .where('variant', '=', stream.variant)
      .forUpdate()
      .executeTakeFirst();
    if (row === undefined) return { unannounced: false };
    const found = outcome.records > 0;
    const since = (at: Date | null) => at !== null && row.last_read_at !== null && at >= row.last_read_at;
    // Announced by a webhook, or by a `/sync/status` hint, since the previous read.
    const announced = found && (since(row.webhook_at) || since(row.read_requested_at));
    const unannounced = found && row.last_read_at !== null && !announced;
    const everyMs = row.poll_every_ms;
    const state = everyMs === null ? null : { everyMs, safetyNetMs: row.safety_net_ms ?? everyMs, periodMs: row.poll_period_ms };
    // Announced changes keep the backoff as it was: neither back to `every` nor one more empty read.
    const period = state === null ? null : announced ? row.poll_period_ms : nextPeriodMs(state, found);
    await trx
      .updateTable('nango_replicator.streams')
      .set((eb) => ({
        poll_period_ms: period,
        empty_reads: announced ? eb.ref('empty_reads') : found ? 0 : eb('empty_reads', '+', 1),
        last_read_at: sql<Date>`greatest(last_read_at, coalesce(${outcome.startedAt}::timestamptz, last_run_started_at, now()))`,
      }))
      .where('id', '=', row.id)
      .execute();
    if (unannounced) {
      await trx
        .insertInto('nango_replicator.polling_integrations')
        .values({ provider_config_key: stream.providerConfigKey, webhooks_missing_since: sql`now()` })
        .onConflict((oc) => oc.column('provider_config_key').doUpdateSet({ webhooks_missing_since: sql`now()` }))
        .execute();
    }
    return { unannounced };
  });
}

/**
 * Notes that a webhook asked for the stream: its next changes count as announced, and its integration's webhooks
 * as arriving again.
 */
export async function noteWebhook(db: Kysely<ReplicatorDatabase>, stream: StreamKey): Promise<void> {
  await db
    .updateTable('nango_replicator.streams')
    .set({ webhook_at: sql`now()` })
    .where('provider_config_key', '=', stream.providerConfigKey)
    .where('connection_id', '=', stream.connectionId)
    .where('model', '=', stream.model)
    .where('variant', '=', stream.variant)
    .execute();
  await db
    .insertInto('nango_replicator.polling_integrations')
    .values({ provider_config_key: stream.providerConfigKey, webhook_at: sql`now()` })
    .onConflict((oc) => oc.column('provider_config_key').doUpdateSet({ webhook_at: sql`now()` }))
    .execute();
}
