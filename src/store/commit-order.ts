import { sql, type Transaction } from 'kysely';
import type { ReplicatorDatabase } from './replicator-tables.js';

/** A transaction-scoped advisory lock key: two int4s. */
export type TurnKey = readonly [number, number];

/**
 * A page transaction's place in its run's commit order. The transaction holds `key` (exclusively, for as long as
 * it lives) and, before it sets the cursor, waits for the page before it by asking for that page's key (shared):
 * Postgres grants it once that transaction has ended. The wait is a lock wait, so if two runs of one stream ever
 * wait on each other through it, Postgres sees the cycle and aborts one (deadlock_detected) instead of both
 * hanging; a wait in Node alone would be invisible to it.
 */
export interface CommitOrder {
  key: TurnKey;
  /** Called as soon as `key` is held. */
  onHeld: () => void;
  previous?: {
    key: TurnKey;
    /** Settles once the previous transaction holds its key, or has failed before it could. */
    held: Promise<void>;
    /** The previous transaction's outcome: its failure rolls this one back. */
    done: Promise<unknown>;
  };
}

const INT4_RANGE = 2_147_483_647;

/** The key of page `sequence` of run `runId`: distinct for every page in flight of every run. */
export function turnKey(runId: string, sequence: number): TurnKey {
  return [Number(BigInt(runId) % BigInt(INT4_RANGE)), sequence % INT4_RANGE];
}

/** First statement of an ordered page transaction: takes its own turn. */
export async function takeTurn(trx: Transaction<ReplicatorDatabase>, order: CommitOrder): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${order.key[0]}::int4, ${order.key[1]}::int4)`.execute(trx);
  order.onHeld();
}

/** Returns once the previous page's transaction has committed; throws its failure if it did not. */
export async function waitForPrevious(trx: Transaction<ReplicatorDatabase>, order: CommitOrder): Promise<void> {
  const previous = order.previous;
  if (previous === undefined) return;
  await previous.held;
  await sql`SELECT pg_advisory_xact_lock_shared(${previous.key[0]}::int4, ${previous.key[1]}::int4)`.execute(trx);
  await previous.done;
}
