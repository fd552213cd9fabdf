import { after, before, beforeEach } from 'node:test';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { Secret } from '../../src/config/secret.js';
import { createNangoClient, type NangoClient } from '../../src/nango/nango-client.js';
import { openGate } from '../../src/ratelimit/request-gate.js';
import { directModelFields } from '../../src/replicate/model-fields-lookup.js';
import { replicateStream, type ReplicateOptions, type ReplicateSummary } from '../../src/replicate/replicate-stream.js';
import { startNangoStandIn, type NangoStandIn } from '../../stand-in/nango-stand-in.js';
import { createDatabase } from '../../src/store/create-database.js';
import { migrateToLatest } from '../../src/store/migrate-to-latest.js';
import type { ReplicatorDatabase } from '../../src/store/replicator-tables.js';
import type { StreamKey } from '../../src/stream/stream-key.js';
import { captureLogger } from './capture-logger.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';
import { makeTicket, ticketJsonSchema } from './ticket-model.js';

export const TEST_SECRET_KEY = '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';
export const TICKETS: StreamKey = { providerConfigKey: 'helpdesk', connectionId: 'acme', model: 'Ticket', variant: 'base' };

/** The stand-in, a fresh database and the replicator wired between them, with small retry delays. */
export interface ReplicationFixture {
  standIn: NangoStandIn;
  database: TestDatabase;
  db: Kysely<ReplicatorDatabase>;
  nango: NangoClient;
  logger: Logger;
  logText(): string;
  sync(options?: Partial<ReplicateOptions>): Promise<ReplicateSummary>;
  /** Rows of the Ticket table (its base variant), by id. */
  rows(): Promise<Map<string, Record<string, unknown>>>;
  /** Back to the start: no faults armed, no Ticket records in Nango, no stream, no Ticket table. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function createReplicationFixture(label: string): Promise<ReplicationFixture> {
  const database = await createTestDatabase(label);
  const standIn = await startNangoStandIn({ secretKey: TEST_SECRET_KEY });
  standIn.store.addConnection({ providerConfigKey: TICKETS.providerConfigKey, connectionId: TICKETS.connectionId });
  standIn.store.deploySync({
    providerConfigKey: TICKETS.providerConfigKey,
    name: 'tickets',
    models: [{ name: 'Ticket', jsonSchema: ticketJsonSchema }],
    runs: 'every 5 minutes',
  });
  const db = createDatabase({ url: database.secretUrl });
  await migrateToLatest(db);
  const captured = captureLogger('debug');
  const nango = createNangoClient(
    { fetch, gate: openGate, logger: captured.logger },
    {
      host: standIn.url,
      secretKey: new Secret(TEST_SECRET_KEY),
      requestTimeoutMs: 5_000,
      retries: 3,
      retryMinDelayMs: 10,
      retryMaxDelayMs: 50,
    },
  );
  return {
    standIn,
    database,
    db,
    nango,
    logger: captured.logger,
    logText: captured.text,
    sync: (options = {}) =>
      replicateStream(
        { db, nango, modelFields: directModelFields(nango), logger: captured.logger },
        // Two pages of 25 to a transaction, so every test also runs pages joined in one write.
        { stream: TICKETS, schema: 'nango', deletes: 'soft', fillfactor: 100, pageSize: 25, recordsPerTransaction: 50, ...options },
      ),
    rows: async () => {
      // The base variant's only: a variant's rows share the table and the ids, and would replace them in the map.
      const { rows } = await sql<Record<string, unknown>>`SELECT * FROM nango.ticket WHERE _nango_variant = 'base' ORDER BY id`.execute(db);
      return new Map(rows.map((row) => [row.id as string, row]));
    },
    reset: async () => {
      standIn.faults.clear();
      standIn.store.hardDelete(TICKETS.providerConfigKey, TICKETS.connectionId, TICKETS.model);
      await sql`TRUNCATE nango_replicator.streams CASCADE`.execute(db);
      await sql`DROP TABLE IF EXISTS nango.ticket`.execute(db);
      await sql`TRUNCATE nango_replicator.model_tables, nango_replicator.table_columns`.execute(db);
    },
    close: async () => {
      await db.destroy();
      await standIn.close();
      await database.drop();
    },
  };
}

/**
 * The fixture of the suite this is called in: created before its tests, reset before each one (then `reset`, if
 * given, for what the suite adds), closed after them. The object returned stands for the fixture from `before` on.
 */
export function useReplicationFixture(
  label: string,
  options: { reset?: (fixture: ReplicationFixture) => Promise<void> } = {},
): ReplicationFixture {
  let fixture: ReplicationFixture | undefined;
  const current = (): ReplicationFixture => {
    if (fixture === undefined) throw new Error(`the ${label} fixture is used before its suite started`);
    return fixture;
  };
  before(async () => {
    fixture = await createReplicationFixture(label);
  });
  after(async () => {
    await fixture?.close();
  });
  beforeEach(async () => {
    await current().reset();
    await options.reset?.(current());
  });
  return new Proxy({} as ReplicationFixture, { get: (_target, key) => Reflect.get(current(), key) });
}

/** Saves `count` tickets starting at `from`, in Nango batches of `batch` (each batch shares an updated_at). */
export function seedTickets(standIn: NangoStandIn, from: number, count: number, batch = 40): void {
  for (let start = from; start < from + count; start += batch) {
    const payloads = [];
    for (let n = start; n < Math.min(from + count, start + batch); n++) payloads.push(makeTicket(n));
    standIn.store.save(TICKETS.providerConfigKey, TICKETS.connectionId, TICKETS.model, payloads);
  }
}
