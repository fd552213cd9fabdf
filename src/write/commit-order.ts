import { type Kysely, sql, type Transaction } from 'kysely';
import type { ReplicatorDatabase } from '../store/replicator-tables.js';

/** An advisory lock key: two int4s. */
export type TurnKey = readonly [number, number];

/**
 * A page write's place in its run's commit order. The write holds `key` exclusively, as a session lock on its
 * connection, from before its first transaction until its final outcome (a write can take two transactions, see
 * `writePlannedPage`). Before it sets the cursor, a page's transaction waits for the page before it by asking for
 * that page's key (shared, transaction-scoped): Postgres grants it once that write has its final outcome. Every wait
 * is a lock wait, so if two runs of one stream ever wait on each other (row locks one way, this the other), Postgres
 * sees the cycle and aborts one (deadlock_detected) instead of both hanging. A wait in Node while a transaction is
 * open would be invisible to it: the page then sits idle in transaction, holding row locks, waiting on nothing
 * Postgres knows of.
 */
export interface CommitOrder {
  key: TurnKey;
  /** Called as soon as `key` is held. */
  onHeld: () => void;
  previous?: {
    key: TurnKey;
    /** Settles once the previous write holds its key, or has failed before it could. */
    held: Promise<void>;
    /** The previous write's outcome: its failure rolls this one back. Settled by the time its key is free. */
    done: Promise<unknown>;
  };
}

const INT4_RANGE = 2_147_483_647;

/** The key of page `sequence` of run `runId`: distinct for every page in flight of every run. */
export function turnKey(runId: string, sequence: number): TurnKey {
  return [Number(BigInt(runId) % BigInt(INT4_RANGE)), sequence % INT4_RANGE];
}

/** Before the write's first transaction, on its connection: takes its turn (a session lock). */
export async function takeTurn(connection: Kysely<ReplicatorDatabase>, order: CommitOrder): Promise<void> {
  await sql`SELECT pg_advisory_lock(${order.key[0]}::int4, ${order.key[1]}::int4)`.execute(connection);
  order.onHeld();
}

/** After the write's final outcome, on its connection: gives its turn up, so the page after it can commit. */
export async function endTurn(connection: Kysely<ReplicatorDatabase>, order: CommitOrder): Promise<void> {
  await sql`SELECT pg_advisory_unlock(${order.key[0]}::int4, ${order.key[1]}::int4)`.execute(connection);
}

/**
 * Returns once the previous page's write has committed; throws its failure if it did not. The wait is for the
 * previous write's key, a lock wait Postgres sees; its outcome in Node is settled by the time the key is free
 * (`endTurn` runs before the write's promise settles), so the last await never waits on the database.
 */
export async function waitForPrevious(trx: Transaction<ReplicatorDatabase>, order: CommitOrder): Promise<void> {
  const previous = order.previous;
  if (previous === undefined) return;
  await previous.held;
  await sql`SELECT pg_advisory_xact_lock_shared(${previous.key[0]}::int4, ${previous.key[1]}::int4)`.execute(trx);
  await previous.done;
}
