import ms from 'ms';
import { z } from 'zod';

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

/** A Postgres identifier the user chose for a schema: plain lower-case, so it needs no quoting to be typed. */
const schemaNameSchema = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case Postgres identifier (letters, digits, _; at most 63)');

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
    })
    .prefault({}),
  target: z
    .strictObject({
      schema: schemaNameSchema.default('nango'),
      deletes: z.enum(['soft', 'hard']).default('soft'),
    })
    .prefault({}),
});

export type ConfigFile = z.output<typeof configFileSchema>;
