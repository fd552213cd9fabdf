import { z } from 'zod';
import { BASE_VARIANT } from './stream-key.js';

/** A sync variant's name as Nango accepts it (REFERENCE 10.2): letters, digits, `_` and `-`, at most 255 characters. */
export const syncVariantNameSchema = z
  .string()
  .max(255)
  .regex(/^[a-zA-Z0-9_-]+$/, { error: 'must be a sync variant name: letters, digits, "_" and "-" only' });

/** A variant in a queue message: absent means {@link BASE_VARIANT}, so messages written before variants keep working. */
export const syncVariantSchema = syncVariantNameSchema.default(BASE_VARIANT);
