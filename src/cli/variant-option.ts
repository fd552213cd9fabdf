import { InvalidArgumentError } from 'commander';
import { syncVariantNameSchema } from '../stream/sync-variant-schema.js';

/** A repeatable `--variant`, checked as Nango checks variant names. */
export function collectVariant(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), variantName(value)];
}

/** A sync variant name as Nango accepts it (letters, digits, `_`, `-`), or a usage error saying so. */
export function variantName(value: string): string {
  const parsed = syncVariantNameSchema.safeParse(value);
  if (!parsed.success)
    throw new InvalidArgumentError('must be a sync variant name: letters, digits, "_" and "-" only (base: the plain sync).');
  return parsed.data;
}
