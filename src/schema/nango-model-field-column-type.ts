import { type ColumnType, TS_TYPE_NAMES, unionColumnType } from './column-type.js';
import { isRecord } from './is-record.js';
import { literalColumnType } from './json-schema-column-type.js';

/** Characters that only occur in type expressions (generics, arrays, objects), never in a model literal. */
const TYPE_EXPRESSION = /[<>{}[\]()|]/;

/**
 * The column type of one field in nango.yaml v1/v2 `NangoModel` form
 * (`{name, value, tsType?, model?, array?, union?, optional?, dynamic?}`):
 *
 * - `array: true`, `model: true` (a reference to another model) and nested objects (`value` is an
 *   array of fields) -> `jsonb`.
 * - `union: true` (`value` = sub-fields `"0"`, `"1"`, ...): null/undefined branches dropped, then the
 *   common type of the rest, else `jsonb` (`string | null` -> `text`).
 * - `value` a type name: `string` -> `text`, `number` -> `double precision` (nango-yaml folds
 *   `integer`/`int`/`float` into `number`), `boolean` -> `boolean`, `Date` -> `timestamptz`;
 *   `any`, `object`, `bigint`, `Record<...>` and other names -> `jsonb`.
 * - Literals (`tsType: true` with a JS value, or a plain string that named no model) -> the literal's
 *   type: a string literal is `text`.
 *
 * `null` means the field admits only null (the caller maps that to `jsonb`). Never throws.
 */
export function nangoModelFieldColumnType(field: Record<string, unknown>): ColumnType | null {
  if (field['array'] === true || field['model'] === true) return 'jsonb';
  const value = field['value'];
  if (field['union'] === true) {
    if (!Array.isArray(value)) return 'jsonb';
    return unionColumnType(value.map((branch: unknown) => (isRecord(branch) ? nangoModelFieldColumnType(branch) : 'jsonb')));
  }
  if (Array.isArray(value)) return 'jsonb';
  // `value: undefined` is dropped by JSON serialisation, so a missing value is the `undefined` literal.
  if (value === undefined) return null;
  if (typeof value !== 'string') return literalColumnType(value);
  const named = TS_TYPE_NAMES.get(value);
  if (named !== undefined) return named;
  if (field['tsType'] === true || TYPE_EXPRESSION.test(value)) return 'jsonb';
  return 'text';
}
