import { MAX_IDENTIFIER_BYTES } from './assign-identifier.js';

/**
 * The name of a relation that belongs to a table (its primary key, an index): `<table><suffix>`, with `table`
 * shortened so the whole fits in {@link MAX_IDENTIFIER_BYTES}, and when that is in `taken` the first free of
 * `<table>_2<suffix>`, `<table>_3<suffix>`, ... Postgres keeps tables, indexes and constraint indexes in one
 * namespace per schema, so `taken` should hold every relation name of the schema.
 *
 * Without the check, two long table names sharing their first characters (`<57 chars>_2` next to `<57 chars>`)
 * gave both primary keys the same name, and the second CREATE TABLE failed on every run.
 *
 * `table` is an identifier from `assignIdentifier` (ASCII), so a character is a byte. Pure and deterministic.
 */
export function derivedIdentifier(table: string, suffix: string, taken: ReadonlySet<string>): string {
  for (let n = 1; ; n++) {
    const tail = n === 1 ? suffix : `_${n}${suffix}`;
    const candidate = `${table.slice(0, MAX_IDENTIFIER_BYTES - tail.length)}${tail}`;
    if (!taken.has(candidate)) return candidate;
  }
}
