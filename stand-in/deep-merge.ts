/**
 * Nango's `batchUpdate` merge (`@fastify/deepmerge` with index-wise arrays): objects merge key by
 * key, arrays merge element by element (the longer length wins), anything else is replaced by
 * the source. Inputs are JSON values; the result shares no references with them.
 */
export function deepMerge(target: unknown, source: unknown): unknown {
  if (isPlainObject(target) && isPlainObject(source)) {
    const result: Record<string, unknown> = clone(target) as Record<string, unknown>;
    for (const [key, value] of Object.entries(source)) {
      result[key] = Object.hasOwn(target, key) ? deepMerge(target[key], value) : clone(value);
    }
    return result;
  }
  if (Array.isArray(target) && Array.isArray(source)) {
    const length = Math.max(target.length, source.length);
    return Array.from({ length }, (_, i) => (i < source.length ? deepMerge(target[i], source[i]) : clone(target[i])));
  }
  return clone(source);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function clone(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
