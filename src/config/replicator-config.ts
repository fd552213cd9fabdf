import type { Secret } from './secret.js';

/** Everything the replicator was configured with, after parsing. Frozen: nothing changes it at run time. */
export interface ReplicatorConfig {
  readonly nango: {
    /** Base URL of the Nango API, without a trailing slash. Default `https://api.nango.dev`. */
    readonly host: string;
    /** The environment secret key (`NANGO_SECRET_KEY`). Absent is allowed for commands that do not call Nango. */
    readonly secretKey: Secret | undefined;
    /** Records per `GET /records` request, 1..10000. Default 1000. */
    readonly pageSize: number;
    /** Deadline of one HTTP request in ms. Default 30000. */
    readonly requestTimeoutMs: number;
    /** Retries of one HTTP request after a transient failure (5xx, network). 429s do not use them up. Default 5. */
    readonly retries: number;
    /** First backoff delay in ms; doubles per retry, with jitter. Default 500. */
    readonly retryMinDelayMs: number;
    /** Longest backoff delay in ms. Default 30000. */
    readonly retryMaxDelayMs: number;
  };
  readonly target: {
    /** Postgres schema of the replicated tables. Default `nango`. */
    readonly schema: string;
    /** What a record Nango reports deleted does to its row: `soft` sets `_nango_deleted_at`, `hard` removes it. */
    readonly deletes: 'soft' | 'hard';
  };
  /** `DATABASE_URL`, secret because it may hold a password. */
  readonly databaseUrl: Secret;
  /** `REDIS_URL`, secret because it may hold a password. */
  readonly redisUrl: Secret;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** The YAML file that was read, or null when the default file was absent and defaults apply. */
  readonly configPath: string | null;
}
