import type { z } from 'zod';

/** What a config path accepts, read off its zod schema: the keys of an object, the bounds of a number. */
export interface SchemaFacts {
  keys?: ReadonlyArray<string>;
  number?: { integer: boolean; min?: { value: number; inclusive: boolean }; max?: { value: number; inclusive: boolean } };
}

type AnySchema = z.core.$ZodType;
interface Def {
  type: string;
  shape?: Record<string, AnySchema>;
  innerType?: AnySchema;
  in?: AnySchema;
  out?: AnySchema;
  element?: AnySchema;
  checks?: ReadonlyArray<{ _zod: { def: { check: string; value?: unknown; inclusive?: boolean; format?: string } } }>;
}

const def = (schema: AnySchema) => schema._zod.def as unknown as Def;

/** The schema at `path` of `root` (through defaults, optionals, pipes and arrays), or undefined. */
export function schemaAt(root: AnySchema, path: ReadonlyArray<PropertyKey>): AnySchema | undefined {
  let current: AnySchema | undefined = unwrap(root);
  for (const key of path) {
    if (current === undefined) return undefined;
    const d = def(current);
    const next: AnySchema | undefined = d.type === 'object' ? d.shape?.[String(key)] : d.type === 'array' ? d.element : undefined;
    current = next === undefined ? undefined : unwrap(next);
  }
  return current;
}

/** The facts of the schema at `path`: keys of an object, or a number's bounds. */
export function schemaFacts(root: AnySchema, path: ReadonlyArray<PropertyKey>): SchemaFacts {
  const schema = schemaAt(root, path);
  if (schema === undefined) return {};
  const d = def(schema);
  if (d.type === 'object') return { keys: Object.keys(d.shape ?? {}) };
  if (d.type !== 'number') return {};
  const facts: NonNullable<SchemaFacts['number']> = { integer: false };
  for (const check of d.checks ?? []) {
    const c = check._zod.def;
    if (c.check === 'number_format' && (c.format === 'safeint' || c.format === 'int32')) facts.integer = true;
    if (c.check === 'greater_than' && typeof c.value === 'number') facts.min = { value: c.value, inclusive: c.inclusive === true };
    if (c.check === 'less_than' && typeof c.value === 'number') facts.max = { value: c.value, inclusive: c.inclusive === true };
  }
  return { number: facts };
}

/** Through default, prefault, optional, nullable; a pipe to its output (or its input when the output transforms). */
function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  for (let i = 0; i < 10; i++) {
    const d = def(current);
    const wraps = ['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch'].includes(d.type);
    if (d.innerType !== undefined && wraps) current = d.innerType;
    else if (d.type === 'pipe' && d.in !== undefined && d.out !== undefined) current = def(d.out).type === 'transform' ? d.in : d.out;
    else return current;
  }
  return current;
}
