import * as z from 'zod';

const LOOKBACK_MS = 365 * 24 * 60 * 60 * 1000;

/** Validated GET /records query. */
export interface RecordsQuery {
  model: string;
  variant?: string | undefined;
  delta?: string | undefined;
  modified_after?: string | undefined;
  limit?: number | undefined;
  /** The comma list as sent, e.g. `added,updated`. */
  filter?: string | undefined;
  cursor?: string | undefined;
  ids?: string[] | undefined;
}

/** A model name and a sync variant as Nango's records routes accept them (GET /records, PATCH /records/prune). */
export const modelNameSchema = z
  .string()
  .regex(/^[A-Z][a-zA-Z0-9_-]+$/)
  .max(255);
export const variantSchema = z
  .string()
  .regex(/^[a-zA-Z0-9_-]+$/)
  .max(255);

/** The model key a variant's records are stored under (REFERENCE 10.2): `Model::variant`, the plain model for `base`. */
export function storedModelName(model: string, variant: string | undefined): string {
  return variant && variant !== 'base' ? `${model}::${variant}` : model;
}

/**
 * The `.strict()` query schema of Nango's getRecords controller (docs/nango-api.md 1.1), with the
 * 12-month lookback measured against the stand-in's clock `nowMs`.
 */
export function recordsQuerySchema(nowMs: number): z.ZodType<RecordsQuery> {
  const withinLookback = z
    .string()
    .datetime()
    .refine((value) => new Date(value).getTime() >= nowMs - LOOKBACK_MS, { message: 'must be within the last 12 months' });
  return z
    .object({
      model: modelNameSchema,
      variant: variantSchema.optional(),
      delta: withinLookback.optional(),
      modified_after: withinLookback.optional(),
      limit: z.coerce.number().min(1).max(10000).default(100).optional(),
      filter: z
        .string()
        .transform((value) => value.split(','))
        .pipe(z.array(z.enum(['added', 'updated', 'deleted', 'ADDED', 'UPDATED', 'DELETED'])))
        .transform((value) => value.join(','))
        .optional(),
      cursor: z.string().min(1).max(1000).optional(),
      ids: z
        .union([z.string().min(1).max(256), z.array(z.string().min(1).max(256)).max(100)])
        .transform((value) => (Array.isArray(value) ? value : [value]))
        .optional(),
    })
    .strict();
}

/** Validated GET /records headers. */
export interface RecordsHeaders {
  'connection-id': string;
  'provider-config-key': string;
}

/** Nango's `connectionIdSchema` and `providerConfigKeySchema` (`helpers/validation.ts`). */
export const connectionIdSchema = z
  .string()
  .regex(/^[a-zA-Z0-9,.;:=+~[\]|@${}"'\\/_ -]+$/)
  .max(255);
export const providerConfigKeySchema = z
  .string()
  .regex(/^[a-zA-Z0-9~:.@ _-]+$/)
  .max(255);

/** Connection-Id and Provider-Config-Key rules (Nango `helpers/validation.ts`). */
export const recordsHeadersSchema: z.ZodType<RecordsHeaders> = z
  .object({ 'connection-id': connectionIdSchema, 'provider-config-key': providerConfigKeySchema })
  .strict();
