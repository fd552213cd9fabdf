import { type ColumnType, unionColumnType } from './column-type.js';
import { isRecord, ownValue } from './is-record.js';

/**
 * The column type for one property of a draft-7 JSON Schema as Nango stores it in
 * `json_schema` (zod's `toJSONSchema`, or the older converters):
 *
 * | schema | column |
 * |---|---|
 * | `{type:"string"}`, `enum`/`const` of strings | `text` |
 * | `{type:"string",format:"date-time"}` | `timestamptz` |
 * | `{type:"integer"}` (with or without `minimum`/`maximum`) | `bigint` |
 * | `{type:"number"}` | `double precision` |
 * | `{type:"boolean"}` | `boolean` |
 * | `anyOf`/`oneOf`/`type:[...]` with a `null` branch | the other branch's type |
 * | `anyOf`/`oneOf` whose branches all map to the same type | that type |
 * | `$ref` (`#/definitions/...`) | the target's type: `jsonb` for an object, the primitive otherwise |
 * | arrays, objects, records, `{}`, `true`, other unions, unknown or broken shapes | `jsonb` |
 *
 * @param schema the property schema (untrusted; never throws)
 * @param root the whole `json_schema` document, against which `$ref` pointers resolve
 */
export function jsonSchemaColumnType(schema: unknown, root: unknown): ColumnType {
  return schemaType(schema, root, new Set()) ?? 'jsonb';
}

/** `null` means the schema admits only null. `resolving` holds the `$ref`s being followed (cycles). */
function schemaType(schema: unknown, root: unknown, resolving: Set<string>): ColumnType | null {
  if (!isRecord(schema)) return 'jsonb';

  const ref = ownValue(schema, '$ref');
  if (typeof ref === 'string') {
    if (resolving.has(ref)) return 'jsonb';
    const target = resolveJsonPointer(root, ref);
    if (target === undefined) return 'jsonb';
    resolving.add(ref);
    const type = schemaType(target, root, resolving);
    resolving.delete(ref);
    return type;
  }

  const anyOf = ownValue(schema, 'anyOf');
  const oneOf = ownValue(schema, 'oneOf');
  const branches = Array.isArray(anyOf) ? anyOf : Array.isArray(oneOf) ? oneOf : undefined;
  if (branches !== undefined) {
    return unionColumnType(branches.map((branch: unknown) => schemaType(branch, root, resolving)));
  }

  const type = ownValue(schema, 'type');
  if (typeof type === 'string') return typeNameColumnType(type, schema);
  if (Array.isArray(type)) {
    return unionColumnType(type.map((name: unknown) => (typeof name === 'string' ? typeNameColumnType(name, schema) : 'jsonb')));
  }
  if (type !== undefined) return 'jsonb';

  if (Object.hasOwn(schema, 'const')) return literalColumnType(schema['const']);
  const values = ownValue(schema, 'enum');
  if (Array.isArray(values)) return unionColumnType(values.map(literalColumnType));
  return 'jsonb';
}

function typeNameColumnType(name: string, schema: Record<string, unknown>): ColumnType | null {
  switch (name) {
    case 'string':
      return ownValue(schema, 'format') === 'date-time' ? 'timestamptz' : 'text';
    case 'integer':
      return 'bigint';
    case 'number':
      return 'double precision';
    case 'boolean':
      return 'boolean';
    case 'null':
      return null;
    default:
      return 'jsonb';
  }
}

/**
 * The column type of a literal value (`const`, `enum` members, YAML literals): strings are
 * `text`, integers `bigint`, other finite numbers `double precision`, booleans `boolean`, null
 * `null`, anything else `jsonb`.
 */
export function literalColumnType(value: unknown): ColumnType | null {
  switch (typeof value) {
    case 'string':
      return 'text';
    case 'number':
      return Number.isSafeInteger(value) ? 'bigint' : Number.isFinite(value) ? 'double precision' : 'jsonb';
    case 'boolean':
      return 'boolean';
    default:
      return value === null ? null : 'jsonb';
  }
}

/**
 * Follows a local JSON pointer such as `#/definitions/GithubUser` (RFC 6901 escapes `~0`, `~1`
 * and URI percent-encoding understood) through own properties only. `undefined` when the pointer
 * is not local or leads nowhere.
 */
export function resolveJsonPointer(root: unknown, pointer: string): unknown {
  if (pointer === '#') return root;
  if (!pointer.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const raw of pointer.slice(2).split('/')) {
    let token: string;
    try {
      token = decodeURIComponent(raw);
    } catch {
      // Not percent-encoded after all: use the token as written.
      token = raw;
    }
    token = token.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      node = /^(0|[1-9][0-9]*)$/.test(token) ? node[Number(token)] : undefined;
    } else if (isRecord(node)) {
      node = ownValue(node, token);
    } else {
      return undefined;
    }
    if (node === undefined) return undefined;
  }
  return node;
}
