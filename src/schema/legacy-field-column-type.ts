import { type ColumnType, TS_TYPE_NAMES, unionColumnType } from './column-type.js';

const TYPE_NAMES: ReadonlyMap<string, ColumnType | null> = new Map<string, ColumnType | null>([
  ...TS_TYPE_NAMES,
  ['true', 'boolean'],
  ['false', 'boolean'],
]);

const QUOTED_LITERAL = /^(?:'[^']*'|"[^"]*")$/;
const INTEGER_LITERAL = /^-?[0-9]{1,15}$/;
const DECIMAL_LITERAL = /^-?[0-9]+(?:\.[0-9]+)?$/;

/**
 * The column type of one field of the very old legacy model form `{name, type}`, where `type` is
 * a TS-ish string:
 *
 * - `string`, `number`, `integer` (-> `bigint`), `boolean`, `date`/`Date` (-> `timestamptz`), and
 *   the aliases `char`, `varchar`, `int`, `float`, `bool`.
 * - `T | undefined` and `T | null` -> T's type; other unions -> the branches' common type, else `jsonb`.
 * - Quoted string literals (`'open'`) -> `text`; numeric literals -> `bigint`/`double precision`;
 *   `true`/`false` -> `boolean`.
 * - `Foo[]`, model names, `any`, `object`, generics, and a non-string `type` (old nested submodel
 *   objects) -> `jsonb`. A bare identifier is kept as `jsonb` even when Nango would read it as a
 *   string literal: `jsonb` holds whatever value actually arrives.
 *
 * `null` means the type admits only null (the caller maps that to `jsonb`). Never throws.
 */
export function legacyFieldColumnType(type: unknown): ColumnType | null {
  if (typeof type !== 'string') return 'jsonb';
  return unionColumnType(type.split('|').map((part) => legacyAtomColumnType(part.trim())));
}

function legacyAtomColumnType(atom: string): ColumnType | null {
  const named = TYPE_NAMES.get(atom);
  if (named !== undefined) return named;
  if (QUOTED_LITERAL.test(atom)) return 'text';
  if (INTEGER_LITERAL.test(atom)) return 'bigint';
  if (DECIMAL_LITERAL.test(atom)) return 'double precision';
  return 'jsonb';
}
