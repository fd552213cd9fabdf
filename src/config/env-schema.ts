import { z } from 'zod';
import { fillfactorSchema } from './config-file-schema.js';

const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);
const portSchema = z.coerce.number().int().min(0).max(65535);

/** The environment variables the replicator reads. Parsed once, at an entry point. */
export const envSchema = z.object({
  NANGO_SECRET_KEY: z.preprocess(emptyAsUndefined, z.string().min(1).optional()),
  NANGO_HOST: z.preprocess(emptyAsUndefined, z.url({ protocol: /^https?$/ }).default('https://api.nango.dev')),
  DATABASE_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      // pg percent-encodes what it can (a space in a password) before parsing, so this does too.
      .refine((url) => URL.canParse(url) || URL.canParse(encodeURI(url)), {
        message:
          'is not a valid URL: write it as postgres://user:password@host:5432/database, percent-encoding special characters of the password',
      })
      .default('postgres://postgres@127.0.0.1:5432/postgres'),
  ),
  REDIS_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// URL')
      .default('redis://127.0.0.1:6379'),
  ),
  /** A Redis Cluster's seed nodes, `host:port,host:port`; REDIS_URL then gives only the credentials and TLS. */
  REDIS_CLUSTER_NODES: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[^,\s:]+:\d{1,5}(,[^,\s:]+:\d{1,5})*$/, 'must be a comma-separated list of host:port, e.g. 10.0.0.1:6379,10.0.0.2:6379')
      .optional(),
  ),
  NANGO_WEBHOOK_SIGNING_KEY: z.preprocess(emptyAsUndefined, z.string().min(1).optional()),
  NANGO_WEBHOOK_SIGNING_KEY_PREVIOUS: z.preprocess(emptyAsUndefined, z.string().min(1).optional()),
  REPLICATOR_CONFIG: z.preprocess(emptyAsUndefined, z.string().optional()),
  /** 0 picks a free port (several workers on one host, tests): the port taken is logged at start. */
  PORT: z.preprocess(emptyAsUndefined, portSchema.default(8080)),
  ADMIN_PORT: z.preprocess(emptyAsUndefined, portSchema.default(9464)),
  /** Loopback by default: the admin door is for this machine unless chosen otherwise (containers need 0.0.0.0). */
  ADMIN_HOST: z.preprocess(emptyAsUndefined, z.string().min(1).default('127.0.0.1')),
  ADMIN_TOKEN: z.preprocess(emptyAsUndefined, z.string().min(16, 'must be at least 16 characters (e.g. openssl rand -hex 32)').optional()),
  /** Overrides `target.fillfactor` of the YAML file. */
  REPLICATOR_TABLE_FILLFACTOR: z.preprocess(
    (value) => (value === '' || value === undefined ? undefined : Number(value)),
    fillfactorSchema.optional(),
  ),
  LOG_LEVEL: z.preprocess(emptyAsUndefined, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
});

/** Env paths whose values are secrets: never echoed in an error. */
export const SECRET_ENV_KEYS = [
  'NANGO_SECRET_KEY',
  'NANGO_WEBHOOK_SIGNING_KEY',
  'NANGO_WEBHOOK_SIGNING_KEY_PREVIOUS',
  'DATABASE_URL',
  'REDIS_URL',
  'ADMIN_TOKEN',
] as const;
