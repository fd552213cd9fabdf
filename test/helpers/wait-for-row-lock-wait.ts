import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

/**
 * Resolves true once a replicator session that connected at or after `since` waits for a row lock (a test's
 * blocker holding `SELECT ... FOR UPDATE`), false after `timeoutMs`. Advisory-lock waits do not count: with pages in
 * flight, a page waiting for the one before it to commit is normal. Sessions older than `since` do not count
 * either: a page of an earlier test's process can still be waiting on its blocker, nor sessions of other databases:
 * another test file's process may wait on its own blocker at the same time. Polled from a connection of its
 * own, outside any transaction (pg_stat_activity is a snapshot frozen for the length of a transaction).
 */
export async function waitForRowLockWait(url: string, since: Date, timeoutMs = 30_000): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = 'nango-replicator'
           AND wait_event_type = 'Lock' AND wait_event <> 'advisory'
           AND backend_start >= $1`,
        [since],
      );
      if ((rows[0]?.n ?? 0) > 0) return true;
      await sleep(50);
    }
    return false;
  } finally {
    await client.end();
  }
}
