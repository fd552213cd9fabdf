import ms from 'ms';
import { z } from 'zod';
import { parseFrequency } from './parse-frequency.js';
import { syncVariantNameSchema } from '../stream/sync-variant-schema.js';

/** A duration in vercel-ms notation (`30s`, `5m`) or a number of milliseconds; parsed to ms. */
export const durationSchema = z.union([z.number().int().nonnegative(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const parsed = ms(value as ms.StringValue);
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < 0) {
    ctx.addIssue({ code: 'custom', message: 'must be a duration such as "30s", "5m" or a number of milliseconds' });
    return z.NEVER;
  }
  return parsed;
});

/** A sync frequency, vercel-ms (`5m`) or Nango's phrasing (`every half hour`); parsed to ms, at least 1 s. */
const frequencySchema = z.union([z.number().int().min(1000), z.string()]).transform((value, ctx) => {
  const parsed = typeof value === 'number' ? value : parseFrequency(value);
  if (parsed === null || parsed < 1000) {
    ctx.addIssue({ code: 'custom', message: 'must be a frequency of at least 1s, such as "5m", "1h" or "every half hour"' });
    return z.NEVER;
  }
  return parsed;
});

/** `"*"` (every one Nango knows) or a non-empty list of names. */
const allOrListSchema = z.union([z.literal('*'), z.array(z.string().min(1)).min(1)]);

/** One entry of `streams`: which (connection, model) pairs of an integration the worker keeps fresh. */
const streamRuleSchema = z.strictObject({
  integration: z.string().min(1),
  models: allOrListSchema.default('*'),
  connections: allOrListSchema.default('*'),
  every: frequencySchema.optional(),
  history: z.boolean().optional(),
  safetyNet: durationSchema.pipe(z.number().min(1000)).default(6 * 3600_000),
  detection: z.enum(['none', 'syncStatus']).default('none'),
  variants: z.union([z.literal('*'), z.array(syncVariantNameSchema).min(1)]).default('*'),
});

/** A Redis key prefix chosen by the user. `{` would make it a Redis Cluster hash tag. */
const keyPrefixSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[^{}\s]+$/, 'must not contain {, } or whitespace');
/** BullMQ's prefix: plain, or a `{hash tag}` first (needed on a Redis Cluster), e.g. `{nango-replicator}`. */
const queuePrefixSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^(\{[^{}\s]+\})?[^{}\s]*$/, 'must be a name without whitespace, or a {hash tag} then a name, e.g. {nango-replicator}');

/** A Postgres identifier the user chose for a schema: plain lower-case, so it needs no quoting to be typed. */
const schemaNameSchema = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case Postgres identifier (letters, digits, _; at most 63)');

const FILLFACTOR_RANGE = 'must be a whole number from 10 to 100 (percent of each table page that inserts fill)';

/**
 * A model table's fillfactor, 10..100 as Postgres allows: the percent of each heap page inserts fill, the rest left
 * for updated row versions (which can then be HOT). Shared by `target.fillfactor` and its environment variable.
 */
// Out of range: the bounds are stated by formatIssues.
export const fillfactorSchema = z.number({ error: FILLFACTOR_RANGE }).int({ error: FILLFACTOR_RANGE }).min(10).max(100);

/**
 * The YAML file (config/replicator.yaml). Every key is optional; defaults are documented there.
 * Unknown keys are refused, so a typo fails at start instead of being silently ignored.
 */
export const configFileSchema = z.strictObject({
  nango: z
    .strictObject({
      pageSize: z.number().int().min(1).max(10000).default(1000),
      requestTimeout: durationSchema.default(30_000),
      retries: z.number().int().min(0).max(20).default(5),
      retryMinDelay: durationSchema.default(500),
      retryMaxDelay: durationSchema.default(30_000),
      pruneAfterCommit: z.boolean().default(false),
      rateLimit: z
        .strictObject({
          requestsPerMinute: z.number().int().min(2).default(200),
          share: z.number().gt(0).max(1).default(0.9),
          key: z
            .string()
            .min(1)
            .max(100)
            .regex(/^[^{}]+$/, 'must not contain { or }')
            .optional(),
          window: durationSchema.pipe(z.number().min(1000)).default(60_000),
        })
        .prefault({}),
    })
    .prefault({}),
  target: z
    .strictObject({
      schema: schemaNameSchema.default('nango'),
      deletes: z.enum(['soft', 'hard']).default('soft'),
      fillfactor: fillfactorSchema.default(100),
      onConnectionDeleted: z.enum(['keep', 'soft-delete']).default('keep'),
      history: z.boolean().default(false),
    })
    .prefault({}),
  streams: z.array(streamRuleSchema).default([]),
  discovery: z.strictObject({ every: durationSchema.pipe(z.number().min(100)).default(60_000) }).prefault({}),
  syncStatus: z
    .strictObject({
      every: durationSchema.pipe(z.number().min(100)).default(600_000),
      timeout: durationSchema.pipe(z.number().min(100)).default(30_000),
    })
    .prefault({}),
  variants: z
    .strictObject({
      every: durationSchema.pipe(z.number().min(1000)).default(3_600_000),
      timeout: durationSchema.pipe(z.number().min(100)).default(60_000),
    })
    .prefault({}),
  worker: z
    .strictObject({
      concurrency: z.number().int().min(1).max(256).default(4),
      shutdownTimeout: durationSchema.default(25_000),
      slice: z.number().int().min(1).max(100_000).default(50),
      lockDuration: durationSchema.pipe(z.number().min(1000)).default(30_000),
      attempts: z.number().int().min(1).max(100).default(5),
      backoff: durationSchema.default(2_000),
    })
    .prefault({}),
  webhooks: z
    .strictObject({
      allowLegacySignature: z.boolean().default(false),
      maxBodyBytes: z
        .number()
        .int()
        .min(1024)
        .max(50 * 1024 * 1024)
        .default(1024 * 1024),
    })
    .prefault({}),
  backfill: z
    .strictObject({
      concurrency: z.number().int().min(1).max(256).default(2),
      budgetShare: z.number().gt(0).max(1).default(0.5),
      maxDeleteFraction: z.number().min(0).max(1).default(0.5),
    })
    .prefault({}),
  metrics: z.strictObject({ perStream: z.union([z.boolean(), z.literal('auto')]).default('auto') }).prefault({}),
  queue: z.strictObject({ prefix: queuePrefixSchema.optional() }).prefault({}),
  redis: z.strictObject({ keyPrefix: keyPrefixSchema.default('nango-replicator:') }).prefault({}),
});

export type ConfigFile = z.output<typeof configFileSchema>;
