import { parse as parseYaml } from 'yaml';
import { ReplicatorError } from '../errors/replicator-error.js';
import { configFileSchema } from './config-file-schema.js';
import { envSchema, SECRET_ENV_KEYS } from './env-schema.js';
import { formatIssues } from './format-issues.js';
import type { ReplicatorConfig } from './replicator-config.js';
import { Secret } from './secret.js';

export const DEFAULT_CONFIG_PATH = 'config/replicator.yaml';

export interface LoadConfigDeps {
  env: Readonly<Record<string, string | undefined>>;
  /** Returns the file's text, or null when it does not exist. */
  readTextFile: (path: string) => string | null;
}

/**
 * Parses the environment and the YAML file once and returns a frozen config.
 * Every problem is reported at once, each naming the variable or key and what is allowed.
 */
export function loadConfig(deps: LoadConfigDeps): ReplicatorConfig {
  const envResult = envSchema.safeParse(deps.env);
  if (!envResult.success) {
    throw invalidConfig(
      `Invalid environment: ${formatIssues(envResult.error.issues, deps.env, { secretPaths: SECRET_ENV_KEYS, schema: envSchema })}`,
    );
  }
  const env = envResult.data;
  if (env.PORT !== 0 && env.PORT === env.ADMIN_PORT) {
    throw invalidConfig(`PORT and ADMIN_PORT are both ${env.PORT}: the public door and the admin door need a port each. Change one.`);
  }
  const configPath = env.REPLICATOR_CONFIG ?? DEFAULT_CONFIG_PATH;
  const text = deps.readTextFile(configPath);
  if (text === null && env.REPLICATOR_CONFIG !== undefined) {
    throw invalidConfig(`REPLICATOR_CONFIG points to ${configPath}, which does not exist.`);
  }
  const file = parseConfigFile(text ?? '', configPath);
  const clusterNodes = parseClusterNodes(env.REDIS_CLUSTER_NODES);

  return deepFreeze({
    nango: {
      host: env.NANGO_HOST.replace(/\/+$/, ''),
      secretKey: env.NANGO_SECRET_KEY === undefined ? undefined : new Secret(env.NANGO_SECRET_KEY),
      pageSize: file.nango.pageSize,
      requestTimeoutMs: file.nango.requestTimeout,
      retries: file.nango.retries,
      retryMinDelayMs: file.nango.retryMinDelay,
      retryMaxDelayMs: file.nango.retryMaxDelay,
      pruneAfterCommit: file.nango.pruneAfterCommit,
      rateLimit: {
        requestsPerMinute: file.nango.rateLimit.requestsPerMinute,
        share: file.nango.rateLimit.share,
        key: file.nango.rateLimit.key,
        windowMs: file.nango.rateLimit.window,
      },
    },
    target: {
      schema: file.target.schema,
      deletes: file.target.deletes,
      onConnectionDeleted: file.target.onConnectionDeleted,
      fillfactor: env.REPLICATOR_TABLE_FILLFACTOR ?? file.target.fillfactor,
      history: file.target.history,
    },
    streams: file.streams.map((rule) => ({
      integration: rule.integration,
      models: rule.models,
      connections: rule.connections,
      everyMs: rule.every,
      ...(rule.history === undefined ? {} : { history: rule.history }),
      safetyNetMs: rule.safetyNet,
      detection: rule.detection,
      variants: rule.variants,
    })),
    discovery: { everyMs: file.discovery.every },
    syncStatus: { everyMs: file.syncStatus.every, timeoutMs: file.syncStatus.timeout },
    variants: { everyMs: file.variants.every, timeoutMs: file.variants.timeout },
    worker: {
      concurrency: file.worker.concurrency,
      shutdownTimeoutMs: file.worker.shutdownTimeout,
      slicePages: file.worker.slice,
      lockDurationMs: file.worker.lockDuration,
      attempts: file.worker.attempts,
      backoffMs: file.worker.backoff,
    },
    webhooks: {
      signingKey: secretOrUndefined(env.NANGO_WEBHOOK_SIGNING_KEY),
      previousSigningKey: secretOrUndefined(env.NANGO_WEBHOOK_SIGNING_KEY_PREVIOUS),
      allowLegacySignature: file.webhooks.allowLegacySignature,
      maxBodyBytes: file.webhooks.maxBodyBytes,
    },
    backfill: { ...file.backfill },
    metrics: { perStream: file.metrics.perStream },
    queuePrefix: queuePrefix(file.queue.prefix, clusterNodes),
    redisKeyPrefix: file.redis.keyPrefix,
    httpPort: env.PORT,
    admin: { port: env.ADMIN_PORT, host: env.ADMIN_HOST, token: secretOrUndefined(env.ADMIN_TOKEN) },
    databaseUrl: new Secret(env.DATABASE_URL),
    redisUrl: new Secret(env.REDIS_URL),
    redisClusterNodes: clusterNodes,
    logLevel: env.LOG_LEVEL,
    configPath: text === null ? null : configPath,
  });
}

function parseConfigFile(text: string, path: string) {
  let document: unknown;
  try {
    document = parseYaml(text) ?? {};
  } catch (error) {
    throw invalidConfig(`${path} is not valid YAML: ${(error as Error).message}`);
  }
  const result = configFileSchema.safeParse(document);
  if (!result.success) throw invalidConfig(`Invalid ${path}: ${formatIssues(result.error.issues, document, { schema: configFileSchema })}`);
  return result.data;
}

/** The Nango key, or a terminal error that says how to provide it. */
export function requireSecretKey(config: ReplicatorConfig): Secret {
  if (config.nango.secretKey === undefined) {
    throw invalidConfig(
      'NANGO_SECRET_KEY is not set. Set it to the secret key of your Nango environment (Environment Settings > API keys).',
    );
  }
  return config.nango.secretKey;
}

function parseClusterNodes(value: string | undefined): Array<{ host: string; port: number }> | null {
  if (value === undefined) return null;
  return value.split(',').map((node) => {
    const at = node.lastIndexOf(':');
    return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
  });
}

/** On a Redis Cluster BullMQ's keys must share a slot: the prefix must be a hash tag, `{nango-replicator}` by default. */
function queuePrefix(configured: string | undefined, clusterNodes: unknown[] | null): string | undefined {
  if (clusterNodes === null) return configured;
  if (configured === undefined) return '{nango-replicator}';
  if (/^\{[^{}]+\}/.test(configured)) return configured;
  throw invalidConfig(
    `queue.prefix "${configured}" has no hash tag, but REDIS_CLUSTER_NODES is set: on a Redis Cluster a queue's keys must ` +
      'share a slot. Write it as {' +
      configured +
      '} (or leave it out for {nango-replicator}).',
  );
}

function secretOrUndefined(value: string | undefined): Secret | undefined {
  return value === undefined ? undefined : new Secret(value);
}

function invalidConfig(message: string): ReplicatorError {
  return new ReplicatorError('invalid_config', message, { retry: 'terminal' });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !(value instanceof Secret)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
