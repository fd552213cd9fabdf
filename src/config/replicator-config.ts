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
    /**
     * After each committed page, ask Nango to empty the payloads up to that page's cursor (`PATCH /records/prune`,
     * scope `environment:records:write`), so Nango keeps no copy of what the tables hold. Default false.
     */
    readonly pruneAfterCommit: boolean;
    /** The account's API budget, shared by every process through Redis (worker only). */
    readonly rateLimit: {
      /** The account's plan limit per 60 s window. Default 200 (free plan). */
      readonly requestsPerMinute: number;
      /** Fraction of it this fleet may spend, in (0, 1]. Default 0.9. */
      readonly share: number;
      /** Bucket name shared by processes with different keys of one account. Default: from a hash of the key. */
      readonly key: string | undefined;
      /** Nango's rate-limit window in ms (docs/nango-api.md 2: 60 s). Default 60000; shorter only against a stand-in. */
      readonly windowMs: number;
    };
  };
  readonly target: {
    /** Postgres schema of the replicated tables. Default `nango`. */
    readonly schema: string;
    /** What a record Nango reports deleted does to its row: `soft` sets `_nango_deleted_at`, `hard` removes it. */
    readonly deletes: 'soft' | 'hard';
    /**
     * The rows of a connection deleted in Nango (missing from two consecutive listings): `keep` leaves them as they
     * are, `soft-delete` sets their `_nango_deleted_at`. Either way its streams stop. Default `keep`.
     */
    readonly onConnectionDeleted: 'keep' | 'soft-delete';
    /**
     * Fillfactor of the model tables, 10..100: the percent of each page inserts fill; the rest lets an update put
     * the new row version on the same page (a HOT update). `target.fillfactor`, overridden by
     * `REPLICATOR_TABLE_FILLFACTOR`. Default 100 (Postgres' own default: no storage parameter is set).
     */
    readonly fillfactor: number;
    /**
     * History mode: every version of every record kept in `<table>_history`, with `<table>_as_of(at)` for the table as
     * it was at an instant. `target.history`, or `history` on a stream rule. Once on, a table keeps it. Default false.
     */
    readonly history: boolean;
  };
  /** What the worker keeps fresh: one rule per entry of `streams` in the YAML file. Empty: nothing. */
  readonly streams: ReadonlyArray<StreamRule>;
  readonly discovery: {
    /** How often connections and models are looked up again, ms. Default 60000. */
    readonly everyMs: number;
  };
  /** The `GET /sync/status` hint of streams with `detection: syncStatus` (docs/nango-api.md 10.1). */
  readonly syncStatus: {
    /** One request per integration this often, ms. Default 600000 (10 min). */
    readonly everyMs: number;
    /** An answer slower than this is abandoned (the streams keep polling), ms. Default 30000. */
    readonly timeoutMs: number;
  };
  /** The lookup of sync variants (docs/nango-api.md 10.2): only `GET /sync/status` lists them. */
  readonly variants: {
    /** One `GET /sync/status` per integration that follows variants this often, ms. Default 3600000 (1 h). */
    readonly everyMs: number;
    /** A slower answer is abandoned (the variants known stay followed), ms. Default 60000. */
    readonly timeoutMs: number;
  };
  readonly worker: {
    /** Jobs one process runs at once. Default 4. */
    readonly concurrency: number;
    /** After SIGTERM, how long the page in flight may take before the process exits anyway, ms. Default 25000. */
    readonly shutdownTimeoutMs: number;
    /** Pages one job reads before it re-queues the rest of the stream behind the other streams. Default 50. */
    readonly slicePages: number;
    /** Expiry of a job's and a stream's lock, renewed while held; a crashed worker's work resumes after it, ms. Default 30000. */
    readonly lockDurationMs: number;
    /** Attempts of a job that fails with a transient error (terminal errors fail at once). Default 5. */
    readonly attempts: number;
    /** First retry delay of a failed job, doubling per attempt, ms. Default 2000. */
    readonly backoffMs: number;
  };
  /** On-demand backfills (queue `nango-backfill`, docs/backfills.md). */
  readonly backfill: {
    /** Backfill jobs one process runs at once, on top of `worker.concurrency`. Default 2. */
    readonly concurrency: number;
    /** Fraction of the fleet's API budget (requestsPerMinute x share) all backfills together may spend, in (0, 1]. Default 0.5. */
    readonly budgetShare: number;
    /** A replace backfill refuses to delete more than this fraction of a stream's rows unless forced (0..1). Default 0.5. */
    readonly maxDeleteFraction: number;
  };
  readonly webhooks: {
    /** `NANGO_WEBHOOK_SIGNING_KEY`: the environment's webhook signing key. Absent: the webhook route answers 503. */
    readonly signingKey: Secret | undefined;
    /** `NANGO_WEBHOOK_SIGNING_KEY_PREVIOUS`: also accepted while a rotation settles (Nango caches keys 5 min). */
    readonly previousSigningKey: Secret | undefined;
    /** Accept the legacy, length-extension-unsafe `X-Nango-Signature`. Default false. */
    readonly allowLegacySignature: boolean;
    /** Larger webhook bodies are refused with 413. Default 1 MiB. */
    readonly maxBodyBytes: number;
  };
  readonly metrics: {
    /**
     * Series per stream (integration, connection, model) on /metrics: `true`, `false`, or `auto` (default): on while the
     * fleet has at most 500 streams (counted at each scrape). Off, /metrics holds totals per (integration, model) only.
     */
    readonly perStream: boolean | 'auto';
  };
  /**
   * BullMQ's key prefix (`bull` when absent, so other services can use a plain `new Queue(name)`). On a Redis Cluster
   * a hash tag such as `{nango-replicator}` (the default there), so that each queue's keys share a slot.
   */
  readonly queuePrefix: string | undefined;
  /** Prefix of the replicator's own Redis keys: stream locks, discovery lease, rate-limit bucket. */
  readonly redisKeyPrefix: string;
  /** `PORT`: the worker's public door (webhooks, health, readiness). Default 8080; 0 picks a free port. */
  readonly httpPort: number;
  /** The worker's admin door: the status page, `/metrics`, health and readiness with details. */
  readonly admin: {
    /** `ADMIN_PORT`. Default 9464; 0 picks a free port. */
    readonly port: number;
    /** `ADMIN_HOST`: the address it binds. Default `127.0.0.1` (this machine only); `0.0.0.0` in a container. */
    readonly host: string;
    /** `ADMIN_TOKEN`: when set, the status page and `/metrics` need `Authorization: Bearer <token>`. */
    readonly token: Secret | undefined;
  };
  /** `DATABASE_URL`, secret because it may hold a password. */
  readonly databaseUrl: Secret;
  /** `REDIS_URL`, secret because it may hold a password. */
  readonly redisUrl: Secret;
  /** `REDIS_CLUSTER_NODES`: the seed nodes of a Redis Cluster; null for a single Redis (REDIS_URL). */
  readonly redisClusterNodes: ReadonlyArray<{ readonly host: string; readonly port: number }> | null;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** The YAML file that was read, or null when the default file was absent and defaults apply. */
  readonly configPath: string | null;
}

/** One entry of `streams`: the (connection, model) pairs of an integration to keep fresh, and how often. */
export interface StreamRule {
  /** The integration's unique key (providerConfigKey). */
  readonly integration: string;
  /** `*`: every model the integration's syncs return (GET /scripts/config); else these names. */
  readonly models: '*' | ReadonlyArray<string>;
  /** `*`: every connection of the integration (GET /connections); else these ids, followed as written. */
  readonly connections: '*' | ReadonlyArray<string>;
  /** Interval between syncs, ms; undefined: the sync's own `runs`. */
  readonly everyMs: number | undefined;
  /** History mode for the streams of this rule (see `target.history`). Default false. */
  readonly history?: boolean;
  /** Longest period an idle stream backs off to (never below `every`), ms. Absent: 6 h (`DEFAULT_SAFETY_NET_MS`). */
  readonly safetyNetMs?: number;
  /** `syncStatus`: also read the streams `GET /sync/status` says changed; `none` (default, also when absent): webhooks and polling only. */
  readonly detection?: 'none' | 'syncStatus';
  /**
   * The sync variants followed (docs/nango-api.md 10.2): `*` (default, also when absent) every variant Nango lists or
   * a webhook announces, and the plain sync; else these names, `base` being the plain sync.
   */
  readonly variants?: '*' | ReadonlyArray<string>;
}
