import { createHash } from 'node:crypto';

/**
 * md5 of a canonical JSON rendering (object keys sorted at every level), so two payloads that
 * differ only in key order hash the same. Stands in for Nango's `data_hash`.
 */
export function stableHash(value: unknown): string {
  return createHash('md5').update(canonicalJson(value)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
