import { type Kysely, sql } from 'kysely';
import type { ReplicatorDatabase } from '../../src/store/replicator-tables.js';

/** What {@link seedStreamFleet} writes, so tests can state what they expect. */
export interface SeededFleet {
  total: number;
  /** Streams whose last error stands: every 500th (`crm/c-<n>/Deal` with n % 500 = 7). */
  failing: number;
  /** Streams whose last success is 5 h old on a 1 h period: every 100th not failing. */
  lagging: number;
  /** Streams never read: every 1000th not failing or lagging. */
  never: number;
  fresh: number;
}

const MODELS = ['Contact', 'Deal', 'Ticket'] as const;

/**
 * `connections` x 3 streams (integration `crm`, connections `c-0`.. `c-<n-1>`, models Contact, Deal, Ticket) written
 * straight into the replicator's tables with SQL, as the worker would have left them, plus the model tables'
 * bookkeeping (schema `nango`). Much faster than replicating them; the views read only these tables.
 */
export async function seedStreamFleet(db: Kysely<ReplicatorDatabase>, connections: number): Promise<SeededFleet> {
  for (const model of MODELS) {
    await sql`INSERT INTO nango_replicator.model_tables (table_schema, model, table_name) VALUES ('nango', ${model}, ${model.toLowerCase()})
      ON CONFLICT DO NOTHING`.execute(db);
  }
  await sql`
    INSERT INTO nango_replicator.streams (provider_config_key, connection_id, model, period_ms, live_rows, total_rows,
      last_success_at, newest_modified_at, cursor, cursor_updated_at, last_error)
    SELECT 'crm', 'c-' || n, m.model, 3600000, 100 + (n % 50), 110 + (n % 50),
      CASE WHEN n % 1000 = 3 THEN NULL WHEN n % 100 = 1 THEN now() - interval '5 hours' ELSE now() - (n % 40) * interval '1 minute' END,
      CASE WHEN n % 1000 = 3 THEN NULL ELSE now() - (n % 40 + 2) * interval '1 minute' END,
      CASE WHEN n % 1000 = 3 THEN NULL ELSE 'cursor-' || n END,
      CASE WHEN n % 1000 = 3 THEN NULL ELSE now() - (n % 40) * interval '1 minute' END,
      CASE WHEN n % 500 = 7 AND m.model = 'Deal'
        THEN jsonb_build_object('code', 'nango_unauthorized', 'message', 'Nango refused the connection ' || n) END
    FROM generate_series(0, ${connections - 1}) n CROSS JOIN (VALUES ('Contact'), ('Deal'), ('Ticket')) m(model)`.execute(db);
  const count = (predicate: (n: number) => boolean) => {
    let c = 0;
    for (let n = 0; n < connections; n++) if (predicate(n)) c++;
    return c;
  };
  const failing = count((n) => n % 500 === 7);
  const lagging = count((n) => n % 100 === 1) * 3;
  const never = count((n) => n % 1000 === 3) * 3;
  const total = connections * 3;
  return { total, failing, lagging, never, fresh: total - failing - lagging - never };
}
