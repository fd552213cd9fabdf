import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

/** The server the storm connects to (not the test database: its own session must not be one of its victims). */
const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Sessions whose application_name starts with this are the test's own probes: the storm leaves them alone. */
export const PROBE_APPLICATION = 'nr-test-probe';

export interface BackendStormOptions {
  /** The test database whose sessions are terminated. */
  database: string;
  /** Pause between rounds, ms. */
  everyMs: number;
  /** Rounds at most: the storm is bounded in count whatever happens. */
  maxRounds: number;
  /** Stops early once this returns true (checked before each round), e.g. once the process under test exited. */
  until?: () => boolean;
}

export interface BackendStorm {
  /** Resolves when the storm has ended (by `until`, `maxRounds` or `stop`), with what it did. */
  done: Promise<{ rounds: number; terminated: number }>;
  stop(): Promise<{ rounds: number; terminated: number }>;
}

/**
 * Terminates every session of `database` (`pg_terminate_backend`, what a failover, a pooler, an idle timeout or
 * an admin does) every `everyMs`, for at most `maxRounds` rounds.
 */
export function startBackendStorm(options: BackendStormOptions): BackendStorm {
  let stopped = false;
  const done = (async () => {
    const admin = new pg.Client({ connectionString: ADMIN_URL, application_name: PROBE_APPLICATION });
    await admin.connect();
    let rounds = 0;
    let terminated = 0;
    try {
      while (!stopped && rounds < options.maxRounds && !(options.until?.() ?? false)) {
        const { rows } = await admin.query<{ terminated: string }>(
          `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS terminated FROM pg_stat_activity
            WHERE datname = $1 AND pid <> pg_backend_pid() AND application_name NOT LIKE $2`,
          [options.database, `${PROBE_APPLICATION}%`],
        );
        rounds += 1;
        terminated += Number(rows[0]?.terminated ?? 0);
        await sleep(options.everyMs);
      }
    } finally {
      await admin.end();
    }
    return { rounds, terminated };
  })();
  return {
    done,
    stop: async () => {
      stopped = true;
      return done;
    },
  };
}
