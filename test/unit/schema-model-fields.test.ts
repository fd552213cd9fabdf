import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ColumnType } from '../../src/schema/column-type.js';
import { findModelFields, modelFieldsFromSync } from '../../src/schema/model-fields.js';

const MAX = 9007199254740991;

/** A sync as current (zero-yaml) deployments return it: json_schema plus empty `fields`. */
function zeroYamlSync(model: string, properties: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    name: 'issues',
    type: 'sync',
    returns: [model],
    json_schema: { definitions: { [model]: { type: 'object', properties, required: [], additionalProperties: false }, ...extra } },
    models: [{ name: model, fields: [] }],
  };
}

function typeOf(properties: Record<string, unknown>, extra: Record<string, unknown> = {}): ColumnType | undefined {
  const fields = modelFieldsFromSync(zeroYamlSync('M', { x: properties['x'] }, extra), 'M');
  return fields?.[0]?.type;
}

describe('modelFieldsFromSync with json_schema (zod-style, draft-7)', () => {
  it('maps every zod shape in the reference table to its column type', () => {
    const cases: Array<[unknown, ColumnType]> = [
      [{ type: 'string' }, 'text'],
      [{ type: 'number' }, 'double precision'],
      [{ type: 'integer', minimum: -MAX, maximum: MAX }, 'bigint'],
      [{ type: 'boolean' }, 'boolean'],
      [{ type: 'string', format: 'date-time' }, 'timestamptz'],
      [{ type: 'string', format: 'date-time', pattern: '^\\d{4}-.*$' }, 'timestamptz'],
      [{ type: 'array', items: { type: 'string' } }, 'jsonb'],
      [{ type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false }, 'jsonb'],
      [{ anyOf: [{ type: 'string' }, { type: 'null' }] }, 'text'],
      [{ anyOf: [{ type: 'string' }, { type: 'number' }] }, 'jsonb'],
      [{ type: 'string', enum: ['open', 'closed'] }, 'text'],
      [{ type: 'string', const: 'x' }, 'text'],
      [{ type: 'object', propertyNames: { type: 'string' }, additionalProperties: { type: 'number' } }, 'jsonb'],
      [{}, 'jsonb'],
    ];
    for (const [schema, expected] of cases) {
      assert.equal(typeOf({ x: schema }), expected, JSON.stringify(schema));
    }
  });

  it('reads the fields in declaration order with their names untouched', () => {
    const sync = zeroYamlSync('GithubIssue', {
      title: { type: 'string' },
      issueNumber: { type: 'integer', minimum: -MAX, maximum: MAX },
      'html-url': { type: 'string' },
      closedAt: { anyOf: [{ type: 'string', format: 'date-time' }, { type: 'null' }] },
      labels: { type: 'array', items: { type: 'string' } },
    });
    assert.deepEqual(modelFieldsFromSync(sync, 'GithubIssue'), [
      { field: 'title', type: 'text' },
      { field: 'issueNumber', type: 'bigint' },
      { field: 'html-url', type: 'text' },
      { field: 'closedAt', type: 'timestamptz' },
      { field: 'labels', type: 'jsonb' },
    ]);
  });

  it('leaves out the id field, which is the record id column', () => {
    const sync = zeroYamlSync('M', { id: { type: 'string' }, ID: { type: 'integer' }, name: { type: 'string' } });
    assert.deepEqual(modelFieldsFromSync(sync, 'M'), [
      { field: 'ID', type: 'bigint' },
      { field: 'name', type: 'text' },
    ]);
  });

  it('maps a nullable type to its non-null type, in anyOf, oneOf and type-array form', () => {
    assert.equal(typeOf({ x: { anyOf: [{ type: 'null' }, { type: 'integer' }] } }), 'bigint');
    assert.equal(typeOf({ x: { oneOf: [{ type: 'boolean' }, { type: 'null' }] } }), 'boolean');
    assert.equal(typeOf({ x: { type: ['number', 'null'] } }), 'double precision');
    assert.equal(typeOf({ x: { type: ['string', 'null'], format: 'date-time' } }), 'timestamptz');
    assert.equal(typeOf({ x: { anyOf: [{ type: 'string', enum: ['a', 'b'] }, { type: 'null' }] } }), 'text');
    assert.equal(typeOf({ x: { anyOf: [{ anyOf: [{ type: 'string' }, { type: 'null' }] }, { type: 'null' }] } }), 'text');
  });

  it('stores a nullable object or array as jsonb', () => {
    assert.equal(typeOf({ x: { anyOf: [{ type: 'object', properties: {} }, { type: 'null' }] } }), 'jsonb');
    assert.equal(typeOf({ x: { type: ['array', 'null'], items: {} } }), 'jsonb');
  });

  it('stores a union of string literals as text and other unions as jsonb', () => {
    assert.equal(
      typeOf({
        x: {
          anyOf: [
            { type: 'string', const: 'a' },
            { type: 'string', const: 'b' },
          ],
        },
      }),
      'text',
    );
    assert.equal(typeOf({ x: { oneOf: [{ type: 'string' }, { type: 'integer' }] } }), 'jsonb');
    assert.equal(typeOf({ x: { anyOf: [{ type: 'string' }, { type: 'string', format: 'date-time' }] } }), 'jsonb');
    assert.equal(typeOf({ x: { type: ['string', 'integer'] } }), 'jsonb');
  });

  it('types enums and consts without a type keyword from their values', () => {
    assert.equal(typeOf({ x: { enum: ['a', 'b', null] } }), 'text');
    assert.equal(typeOf({ x: { const: 'a' } }), 'text');
    assert.equal(typeOf({ x: { enum: [1, 2] } }), 'bigint');
    assert.equal(typeOf({ x: { enum: [1.5] } }), 'double precision');
    assert.equal(typeOf({ x: { const: true } }), 'boolean');
    assert.equal(typeOf({ x: { enum: ['a', 1] } }), 'jsonb');
    assert.equal(typeOf({ x: { enum: [] } }), 'jsonb');
  });

  it('follows $ref: an object definition is jsonb, a primitive definition is that primitive', () => {
    const extra = {
      GithubUser: { type: 'object', properties: { login: { type: 'string' } } },
      Timestamp: { type: 'string', format: 'date-time' },
      Count: { anyOf: [{ type: 'integer' }, { type: 'null' }] },
      Alias: { $ref: '#/definitions/Timestamp' },
    };
    assert.equal(typeOf({ x: { $ref: '#/definitions/GithubUser' } }, extra), 'jsonb');
    assert.equal(typeOf({ x: { $ref: '#/definitions/Timestamp' } }, extra), 'timestamptz');
    assert.equal(typeOf({ x: { $ref: '#/definitions/Count' } }, extra), 'bigint');
    assert.equal(typeOf({ x: { $ref: '#/definitions/Alias' } }, extra), 'timestamptz');
    assert.equal(
      typeOf({ x: { anyOf: [{ $ref: '#/definitions/Timestamp' }, { $ref: '#/definitions/Timestamp' }] } }, extra),
      'timestamptz',
    );
  });

  it('stores a dangling, external or cyclic $ref as jsonb', () => {
    const extra = { A: { $ref: '#/definitions/B' }, B: { $ref: '#/definitions/A' } };
    assert.equal(typeOf({ x: { $ref: '#/definitions/Missing' } }, extra), 'jsonb');
    assert.equal(typeOf({ x: { $ref: 'https://example.com/schema.json' } }, extra), 'jsonb');
    assert.equal(typeOf({ x: { $ref: '#/definitions/A' } }, extra), 'jsonb');
    assert.equal(typeOf({ x: { $ref: '#/definitions/__proto__' } }, extra), 'jsonb');
    assert.equal(typeOf({ x: { $ref: '#/definitions/%E0%A4%A' } }, extra), 'jsonb');
  });

  it("stores the older converters' string-map fallback and any unknown shape as jsonb", () => {
    assert.equal(typeOf({ x: { type: 'object', additionalProperties: { type: 'string' } } }), 'jsonb');
    assert.equal(typeOf({ x: { allOf: [{ type: 'string' }] } }), 'jsonb');
    assert.equal(typeOf({ x: { type: 'null' } }), 'jsonb');
    assert.equal(typeOf({ x: { type: 'bigint' } }), 'jsonb');
    assert.equal(typeOf({ x: { type: 42 } }), 'jsonb');
    assert.equal(typeOf({ x: true }), 'jsonb');
    assert.equal(typeOf({ x: null }), 'jsonb');
    assert.equal(typeOf({ x: 'string' }), 'jsonb');
    assert.equal(typeOf({ x: [] }), 'jsonb');
    assert.equal(typeOf({ x: { anyOf: [] } }), 'jsonb');
  });

  it('keeps string formats other than date-time as text', () => {
    assert.equal(typeOf({ x: { type: 'string', format: 'date' } }), 'text');
    assert.equal(typeOf({ x: { type: 'string', format: 'email' } }), 'text');
  });

  it('follows a model definition that is itself a $ref', () => {
    const sync = {
      returns: ['M'],
      json_schema: {
        definitions: { M: { $ref: '#/definitions/Base' }, Base: { type: 'object', properties: { a: { type: 'boolean' } } } },
      },
    };
    assert.deepEqual(modelFieldsFromSync(sync, 'M'), [{ field: 'a', type: 'boolean' }]);
  });

  it('accepts $defs as well as definitions', () => {
    const sync = { json_schema: { $defs: { M: { type: 'object', properties: { a: { type: 'number' } } } } } };
    assert.deepEqual(modelFieldsFromSync(sync, 'M'), [{ field: 'a', type: 'double precision' }]);
  });

  it('keeps hostile property names verbatim; normalisation happens when columns are assigned', () => {
    const names = ['_nango_raw', '"; drop table x;--', '名前', '', 'x'.repeat(200), '__proto__', 'constructor'];
    const properties = JSON.parse(JSON.stringify(Object.fromEntries(names.map((n) => [n, { type: 'string' }])))) as Record<string, unknown>;
    const fields = modelFieldsFromSync(zeroYamlSync('M', properties), 'M');
    assert.deepEqual(
      fields?.map((f) => f.field),
      names,
    );
  });

  it('returns an empty list for a definition without properties', () => {
    const sync = { json_schema: { definitions: { M: { type: 'object', additionalProperties: {} } } }, models: [{ name: 'M', fields: [] }] };
    assert.deepEqual(modelFieldsFromSync(sync, 'M'), []);
  });

  it('returns null when neither json_schema nor models describe the model', () => {
    assert.equal(modelFieldsFromSync({ json_schema: null, models: [{ name: 'M', fields: [] }] }, 'M'), null);
    assert.equal(modelFieldsFromSync({ json_schema: { definitions: { Other: {} } } }, 'M'), null);
    assert.equal(modelFieldsFromSync({ json_schema: { definitions: { M: { $ref: '#/definitions/Gone' } } } }, 'M'), null);
    assert.equal(modelFieldsFromSync({}, 'M'), null);
  });

  it('never throws on garbage input', () => {
    const garbage: unknown[] = [
      null,
      undefined,
      42,
      'sync',
      [],
      { json_schema: 'x' },
      { json_schema: { definitions: [] } },
      { json_schema: { definitions: { M: { properties: [] } } } },
      { models: 'x' },
      { models: [null, 1, { name: 'M', fields: 'x' }] },
      { models: [{ name: 'M', fields: [null, 1, 'a', { name: 1 }, { value: 'string' }] }] },
    ];
    for (const sync of garbage) assert.doesNotThrow(() => modelFieldsFromSync(sync, 'M'));
    assert.deepEqual(modelFieldsFromSync(garbage.at(-1), 'M'), []);
  });
});

describe('modelFieldsFromSync with nango.yaml v1/v2 models (NangoModel fields)', () => {
  function nangoSync(fields: unknown[]) {
    return { returns: ['M'], json_schema: null, models: [{ name: 'M', fields }] };
  }

  it('maps primitive type names, with integer already folded into number', () => {
    const fields = [
      { name: 'title', value: 'string', tsType: true },
      { name: 'count', value: 'number', tsType: true },
      { name: 'done', value: 'boolean', tsType: true },
      { name: 'createdAt', value: 'Date', tsType: true },
      { name: 'note', value: 'string', tsType: true, optional: true },
    ];
    assert.deepEqual(modelFieldsFromSync(nangoSync(fields), 'M'), [
      { field: 'title', type: 'text' },
      { field: 'count', type: 'double precision' },
      { field: 'done', type: 'boolean' },
      { field: 'createdAt', type: 'timestamptz' },
      { field: 'note', type: 'text' },
    ]);
  });

  it('stores arrays, nested objects, model references and catch-all types as jsonb', () => {
    const fields = [
      { name: 'tags', value: 'string', tsType: true, array: true },
      { name: 'items', value: [{ name: '0', value: 'string', tsType: true }], array: true },
      { name: 'address', value: [{ name: 'city', value: 'string', tsType: true }] },
      { name: 'owner', value: 'GithubUser', model: true },
      { name: 'meta', value: 'Record<string, any>', tsType: true },
      { name: 'anything', value: 'any', tsType: true },
      { name: 'big', value: 'bigint', tsType: true },
      { name: 'generic', value: 'Map<string, string>' },
    ];
    const types = modelFieldsFromSync(nangoSync(fields), 'M')?.map((f) => f.type);
    assert.deepEqual(types, Array(fields.length).fill('jsonb'));
  });

  it('maps a nullable union to its non-null type and other unions to jsonb', () => {
    const fields = [
      {
        name: 'a',
        union: true,
        value: [
          { name: '0', value: 'string', tsType: true },
          { name: '1', value: null, tsType: true },
        ],
      },
      {
        name: 'b',
        union: true,
        value: [
          { name: '0', value: 'Date', tsType: true },
          { name: '1', tsType: true },
        ],
      },
      {
        name: 'c',
        union: true,
        value: [
          { name: '0', value: 'string', tsType: true },
          { name: '1', value: 'number', tsType: true },
        ],
      },
      {
        name: 'd',
        union: true,
        value: [
          { name: '0', value: 'open' },
          { name: '1', value: 'closed' },
        ],
      },
      { name: 'e', union: true, value: 'not-an-array' },
    ];
    assert.deepEqual(
      modelFieldsFromSync(nangoSync(fields), 'M')?.map((f) => f.type),
      ['text', 'timestamptz', 'jsonb', 'text', 'jsonb'],
    );
  });

  it('types literals by their value', () => {
    const fields = [
      { name: 'status', value: 'open' },
      { name: 'version', value: 2, tsType: true },
      { name: 'flag', value: true, tsType: true },
      { name: 'nothing', value: null, tsType: true },
    ];
    assert.deepEqual(
      modelFieldsFromSync(nangoSync(fields), 'M')?.map((f) => f.type),
      ['text', 'bigint', 'boolean', 'jsonb'],
    );
  });

  it('accepts un-normalised aliases such as integer and date', () => {
    const fields = [
      { name: 'a', value: 'integer', tsType: true },
      { name: 'b', value: 'date', tsType: true },
      { name: 'c', value: 'bool', tsType: true },
    ];
    assert.deepEqual(
      modelFieldsFromSync(nangoSync(fields), 'M')?.map((f) => f.type),
      ['bigint', 'timestamptz', 'boolean'],
    );
  });

  it('skips dynamic keys and the id field', () => {
    const fields = [
      { name: 'id', value: 'string', tsType: true },
      { name: '__string', value: 'string', tsType: true, dynamic: true },
      { name: 'name', value: 'string', tsType: true },
    ];
    assert.deepEqual(modelFieldsFromSync(nangoSync(fields), 'M'), [{ field: 'name', type: 'text' }]);
  });

  it('prefers json_schema over models when both are present', () => {
    const sync = {
      json_schema: { definitions: { M: { type: 'object', properties: { a: { type: 'integer' } } } } },
      models: [{ name: 'M', fields: [{ name: 'a', value: 'number', tsType: true }] }],
    };
    assert.deepEqual(modelFieldsFromSync(sync, 'M'), [{ field: 'a', type: 'bigint' }]);
  });
});

describe('modelFieldsFromSync with legacy models ({name, type})', () => {
  function legacySync(fields: unknown[]) {
    return {
      returns: ['M'],
      models: [
        { name: 'M', fields },
        { name: 'Sub', fields: [{ name: 'x', type: 'string' }] },
      ],
    };
  }

  it('maps TS-ish type strings', () => {
    const fields = [
      { name: 's', type: 'string' },
      { name: 'n', type: 'number' },
      { name: 'i', type: 'integer' },
      { name: 'b', type: 'boolean' },
      { name: 'd', type: 'date' },
      { name: 'D', type: 'Date' },
      { name: 'arr', type: 'Foo[]' },
      { name: 'su', type: 'string | undefined' },
      { name: 'sn', type: 'string | null' },
      { name: 'snu', type: 'number|null|undefined' },
      { name: 'mixed', type: 'string | number' },
      { name: 'sub', type: 'Sub' },
      { name: 'lit', type: "'open' | 'closed'" },
      { name: 'nul', type: 'null' },
      { name: 'obj', type: { a: 'string' } },
      { name: 'list', type: [{ a: 'string' }] },
      { name: 'any', type: 'any' },
      { name: 'rec', type: 'Record<string, string | number>' },
    ];
    assert.deepEqual(modelFieldsFromSync(legacySync(fields), 'M'), [
      { field: 's', type: 'text' },
      { field: 'n', type: 'double precision' },
      { field: 'i', type: 'bigint' },
      { field: 'b', type: 'boolean' },
      { field: 'd', type: 'timestamptz' },
      { field: 'D', type: 'timestamptz' },
      { field: 'arr', type: 'jsonb' },
      { field: 'su', type: 'text' },
      { field: 'sn', type: 'text' },
      { field: 'snu', type: 'double precision' },
      { field: 'mixed', type: 'jsonb' },
      { field: 'sub', type: 'jsonb' },
      { field: 'lit', type: 'text' },
      { field: 'nul', type: 'jsonb' },
      { field: 'obj', type: 'jsonb' },
      { field: 'list', type: 'jsonb' },
      { field: 'any', type: 'jsonb' },
      { field: 'rec', type: 'jsonb' },
    ]);
  });

  it('drops the optional marker from names ending in ?', () => {
    const fields = [
      { name: 'title?', type: 'string' },
      { name: 'title', type: 'number' },
    ];
    assert.deepEqual(modelFieldsFromSync(legacySync(fields), 'M'), [{ field: 'title', type: 'text' }]);
  });

  it('turns dotted nested names into one jsonb field for the parent', () => {
    const fields = [
      { name: 'address.city', type: 'string' },
      { name: 'address.zip?', type: 'string' },
      { name: 'name', type: 'string' },
    ];
    assert.deepEqual(modelFieldsFromSync(legacySync(fields), 'M'), [
      { field: 'address', type: 'jsonb' },
      { field: 'name', type: 'text' },
    ]);
  });
});

describe('findModelFields', () => {
  const issue = (type: string) => ({ type: 'object', properties: { n: { type } } });
  const config = [
    {
      providerConfigKey: 'github-prod',
      provider: 'github',
      syncs: [
        { name: 'repos', returns: ['GithubRepo'], json_schema: { definitions: { GithubRepo: issue('string') } } },
        { name: 'issues', returns: ['GithubIssue'], json_schema: { definitions: { GithubIssue: issue('integer') } } },
      ],
      actions: [{ name: 'create', returns: ['GithubAction'], json_schema: { definitions: { GithubAction: issue('string') } } }],
    },
    {
      providerConfigKey: 'linear',
      provider: 'linear',
      syncs: [{ name: 'issues', returns: ['GithubIssue'], json_schema: { definitions: { GithubIssue: issue('boolean') } } }],
    },
  ];

  it('finds the model in the entry of the matching integration', () => {
    assert.deepEqual(findModelFields(config, 'github-prod', 'GithubIssue'), [{ field: 'n', type: 'bigint' }]);
    assert.deepEqual(findModelFields(config, 'linear', 'GithubIssue'), [{ field: 'n', type: 'boolean' }]);
  });

  it("finds the model of a second integration merged into another one's provider entry", () => {
    assert.deepEqual(findModelFields(config, 'github-dev', 'GithubRepo'), [{ field: 'n', type: 'text' }]);
    assert.deepEqual(findModelFields(config, 'github-dev', 'GithubIssue'), [{ field: 'n', type: 'bigint' }]);
  });

  it('falls back to other entries when the matching entry has no schema for the model', () => {
    const withEmpty = [
      { providerConfigKey: 'k', syncs: [{ returns: ['M'], json_schema: null, models: [{ name: 'M', fields: [] }] }] },
      { providerConfigKey: 'other', syncs: [{ returns: ['M'], json_schema: { definitions: { M: issue('number') } } }] },
    ];
    assert.deepEqual(findModelFields(withEmpty, 'k', 'M'), [{ field: 'n', type: 'double precision' }]);
  });

  it('only considers syncs that return the model, not actions', () => {
    assert.equal(findModelFields(config, 'github-prod', 'GithubAction'), null);
    assert.equal(findModelFields(config, 'github-prod', 'Unknown'), null);
  });

  it('returns null for an empty or malformed config', () => {
    for (const body of [[], {}, null, 'x', [null, { syncs: 'x' }, { syncs: [null, { returns: 'M' }] }]]) {
      assert.equal(findModelFields(body, 'k', 'M'), null);
    }
  });
});
