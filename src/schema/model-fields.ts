import { type ColumnType, RECORD_ID_FIELD } from './column-type.js';
import { isRecord, ownValue } from './is-record.js';
import { jsonSchemaColumnType, resolveJsonPointer } from './json-schema-column-type.js';
import { legacyFieldColumnType } from './legacy-field-column-type.js';
import { nangoModelFieldColumnType } from './nango-model-field-column-type.js';

/** One top-level field of a model and the type of the column it gets. */
export interface ModelField {
  /** The field name exactly as Nango spells it (the key in each record), not yet normalised. */
  field: string;
  type: ColumnType;
}

/** Bound on `$ref` hops when a definition is itself a reference to another one. */
const MAX_DEFINITION_HOPS = 16;

/**
 * The top-level fields of `modelName` as declared by one sync from GET /scripts/config (one
 * element of a provider's `syncs` array). Untrusted input: never throws; odd shapes map to `jsonb`.
 *
 * Sources, in order:
 * 1. `json_schema.definitions[modelName].properties` (draft-7, see {@link jsonSchemaColumnType}).
 * 2. `models[name = modelName].fields` when non-empty: nango.yaml `NangoModel` fields
 *    (`{name, value, ...}`, see {@link nangoModelFieldColumnType}) or legacy `{name, type}`
 *    (see {@link legacyFieldColumnType}; a trailing `?` is dropped from the name, and a dotted
 *    name `a.b` declares a nested object, so it yields field `a` as `jsonb`).
 * 3. A definition that exists but declares no properties -> `[]`.
 *
 * The field named `id` is left out: it is the record id, which always has its own `id text`
 * column. Dynamic keys (`__string`) are left out. Duplicate names keep the first declaration.
 * Order is declaration order (for JSON Schema, the object's key order, in which JavaScript lists
 * integer-like keys such as `"42"` first).
 *
 * @returns the fields, or `null` when the sync holds no schema for the model (no definition and
 * no non-empty `fields`).
 */
export function modelFieldsFromSync(sync: unknown, modelName: string): ModelField[] | null {
  if (!isRecord(sync)) return null;
  const jsonSchema = ownValue(sync, 'json_schema');
  const definition = findDefinition(jsonSchema, modelName);
  const properties = isRecord(definition) ? ownValue(definition, 'properties') : undefined;
  if (isRecord(properties)) return fieldsFromJsonSchema(properties, jsonSchema);
  return fieldsFromModels(ownValue(sync, 'models'), modelName) ?? (definition === undefined ? null : []);
}

/**
 * The fields of `modelName` for the integration `providerConfigKey`, searched in the body of
 * GET /scripts/config (an array of entries grouped by provider).
 *
 * First the syncs of entries whose `providerConfigKey` matches; then, because two integrations of
 * one provider are merged into a single entry carrying only the first key, any sync of any entry.
 * Within each pass, the first sync (in response order) whose `returns` names the model and that
 * yields a schema wins. `null` when no sync declares a schema for the model.
 */
export function findModelFields(scriptsConfig: unknown, providerConfigKey: string, modelName: string): ModelField[] | null {
  if (!Array.isArray(scriptsConfig)) return null;
  const sameKey = scriptsConfig.filter((entry: unknown) => isRecord(entry) && ownValue(entry, 'providerConfigKey') === providerConfigKey);
  return firstSyncFields(sameKey, modelName) ?? firstSyncFields(scriptsConfig, modelName);
}

function firstSyncFields(entries: readonly unknown[], modelName: string): ModelField[] | null {
  for (const entry of entries) {
    const syncs = isRecord(entry) ? ownValue(entry, 'syncs') : undefined;
    if (!Array.isArray(syncs)) continue;
    for (const sync of syncs) {
      if (!isRecord(sync) || !returnsModel(ownValue(sync, 'returns'), modelName)) continue;
      const fields = modelFieldsFromSync(sync, modelName);
      if (fields !== null) return fields;
    }
  }
  return null;
}

function returnsModel(returns: unknown, modelName: string): boolean {
  return Array.isArray(returns) ? returns.includes(modelName) : returns === modelName;
}

/** The model's definition, following top-level `$ref`s; `undefined` when there is none. */
function findDefinition(jsonSchema: unknown, modelName: string): unknown {
  if (!isRecord(jsonSchema)) return undefined;
  const definitions = ownValue(jsonSchema, 'definitions') ?? ownValue(jsonSchema, '$defs');
  if (!isRecord(definitions)) return undefined;
  let definition = ownValue(definitions, modelName);
  for (let hop = 0; hop < MAX_DEFINITION_HOPS && isRecord(definition); hop++) {
    const ref = ownValue(definition, '$ref');
    if (typeof ref !== 'string') break;
    definition = resolveJsonPointer(jsonSchema, ref);
  }
  return definition;
}

function fieldsFromJsonSchema(properties: Record<string, unknown>, root: unknown): ModelField[] {
  return uniqueFields(Object.entries(properties).map(([field, schema]) => ({ field, type: jsonSchemaColumnType(schema, root) })));
}

function fieldsFromModels(models: unknown, modelName: string): ModelField[] | null {
  if (!Array.isArray(models)) return null;
  const model: unknown = models.find((m: unknown) => isRecord(m) && ownValue(m, 'name') === modelName);
  const declared = isRecord(model) ? ownValue(model, 'fields') : undefined;
  if (!Array.isArray(declared) || declared.length === 0) return null;

  const fields: ModelField[] = [];
  for (const field of declared) {
    if (!isRecord(field)) continue;
    const name = ownValue(field, 'name');
    if (typeof name !== 'string') continue;
    if (isLegacyField(field)) {
      const clean = name.endsWith('?') ? name.slice(0, -1) : name;
      const dot = clean.indexOf('.');
      if (dot >= 0) fields.push({ field: clean.slice(0, dot), type: 'jsonb' });
      else fields.push({ field: clean, type: legacyFieldColumnType(ownValue(field, 'type')) ?? 'jsonb' });
    } else if (ownValue(field, 'dynamic') !== true) {
      fields.push({ field: name, type: nangoModelFieldColumnType(field) ?? 'jsonb' });
    }
  }
  return uniqueFields(fields);
}

/** Legacy fields are `{name, type}`; NangoModel fields carry `value` (or `tsType` when it was undefined). */
function isLegacyField(field: Record<string, unknown>): boolean {
  return Object.hasOwn(field, 'type') && !Object.hasOwn(field, 'value') && !Object.hasOwn(field, 'tsType');
}

/** Drops the record id field and every repeat of a name, keeping first declarations in order. */
function uniqueFields(fields: readonly ModelField[]): ModelField[] {
  const seen = new Set<string>([RECORD_ID_FIELD]);
  const unique: ModelField[] = [];
  for (const field of fields) {
    if (seen.has(field.field)) continue;
    seen.add(field.field);
    unique.push(field);
  }
  return unique;
}
