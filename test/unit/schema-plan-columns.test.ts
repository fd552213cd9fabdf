import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SYSTEM_COLUMNS } from '../../src/schema/column-type.js';
import type { ModelField } from '../../src/schema/model-fields.js';
import { type ColumnMapping, planColumns } from '../../src/schema/plan-columns.js';

describe('planColumns', () => {
  it('gives every field of a new table a snake_case column in declaration order', () => {
    const fields: ModelField[] = [
      { field: 'title', type: 'text' },
      { field: 'issueNumber', type: 'bigint' },
      { field: 'HTMLUrl', type: 'text' },
      { field: 'closedAt', type: 'timestamptz' },
    ];
    assert.deepEqual(planColumns([], fields), {
      added: [
        { field: 'title', column: 'title', type: 'text' },
        { field: 'issueNumber', column: 'issue_number', type: 'bigint' },
        { field: 'HTMLUrl', column: 'html_url', type: 'text' },
        { field: 'closedAt', column: 'closed_at', type: 'timestamptz' },
      ],
      changedType: [],
    });
  });

  it('never gives a column to the field id: it is the record id', () => {
    const plan = planColumns(
      [],
      [
        { field: 'id', type: 'bigint' },
        { field: 'name', type: 'text' },
      ],
    );
    assert.deepEqual(plan.added, [{ field: 'name', column: 'name', type: 'text' }]);
  });

  it('a field whose name collides with a system column gets a suffixed column', () => {
    const plan = planColumns(
      [],
      [
        { field: 'ID', type: 'text' },
        { field: 'Id', type: 'bigint' },
      ],
    );
    assert.deepEqual(
      plan.added.map((c) => c.column),
      ['id_2', 'id_3'],
    );
  });

  it('a field named like a _nango_ column never maps to a system column', () => {
    const fields: ModelField[] = SYSTEM_COLUMNS.map((field) => ({ field, type: 'text' }));
    const { added } = planColumns([], fields);
    for (const { column } of added) {
      assert.ok(!(SYSTEM_COLUMNS as readonly string[]).includes(column), column);
      assert.ok(!column.startsWith('_nango_'), column);
    }
    assert.deepEqual(added.map((c) => c.column).slice(0, 3), ['nango_provider_config_key', 'nango_connection_id', 'nango_variant']);
  });

  it('names that collide after normalisation are resolved by declaration order, in both orders', () => {
    const a: ModelField = { field: 'userId', type: 'text' };
    const b: ModelField = { field: 'user_id', type: 'bigint' };
    assert.deepEqual(planColumns([], [a, b]).added, [
      { field: 'userId', column: 'user_id', type: 'text' },
      { field: 'user_id', column: 'user_id_2', type: 'bigint' },
    ]);
    assert.deepEqual(planColumns([], [b, a]).added, [
      { field: 'user_id', column: 'user_id', type: 'bigint' },
      { field: 'userId', column: 'user_id_2', type: 'text' },
    ]);
  });

  it('a new field never takes the column of an existing one, even if it would normalise to it', () => {
    const existing: ColumnMapping[] = [{ field: 'user_id', column: 'user_id', type: 'text' }];
    const plan = planColumns(existing, [
      { field: 'user_id', type: 'text' },
      { field: 'userID', type: 'text' },
    ]);
    assert.deepEqual(plan.added, [{ field: 'userID', column: 'user_id_2', type: 'text' }]);
  });

  it('keeps existing mappings when a field later joins that would sort first', () => {
    // Yesterday only `user_id` existed and got `user_id`; today `userId` is declared before it.
    const existing: ColumnMapping[] = [{ field: 'user_id', column: 'user_id', type: 'bigint' }];
    const plan = planColumns(existing, [
      { field: 'userId', type: 'text' },
      { field: 'user_id', type: 'bigint' },
    ]);
    assert.deepEqual(plan, { added: [{ field: 'userId', column: 'user_id_2', type: 'text' }], changedType: [] });
  });

  it('reports a changed type without moving or retyping the column', () => {
    const existing: ColumnMapping[] = [
      { field: 'count', column: 'count', type: 'bigint' },
      { field: 'title', column: 'title', type: 'text' },
    ];
    const plan = planColumns(existing, [
      { field: 'count', type: 'double precision' },
      { field: 'title', type: 'text' },
    ]);
    assert.deepEqual(plan, {
      added: [],
      changedType: [{ field: 'count', column: 'count', storedType: 'bigint', newType: 'double precision' }],
    });
  });

  it('leaves columns of fields that disappeared from the model alone', () => {
    const existing: ColumnMapping[] = [{ field: 'gone', column: 'gone', type: 'text' }];
    assert.deepEqual(planColumns(existing, [{ field: 'gone2', type: 'text' }]), {
      added: [{ field: 'gone2', column: 'gone2', type: 'text' }],
      changedType: [],
    });
  });

  it('does not reuse the column of a removed field for a new field with the same normalised name', () => {
    const existing: ColumnMapping[] = [{ field: 'Status', column: 'status', type: 'text' }];
    const plan = planColumns(existing, [{ field: 'status', type: 'text' }]);
    assert.deepEqual(plan.added, [{ field: 'status', column: 'status_2', type: 'text' }]);
  });

  it('counts a repeated field name once', () => {
    const plan = planColumns(
      [],
      [
        { field: 'a', type: 'text' },
        { field: 'a', type: 'bigint' },
      ],
    );
    assert.deepEqual(plan.added, [{ field: 'a', column: 'a', type: 'text' }]);
  });

  it('assigns valid, distinct columns to a model full of hostile names', () => {
    const names = [
      '',
      ' ',
      '名前',
      '住所',
      '"',
      "'; drop table t; --",
      'x'.repeat(200),
      'x'.repeat(200) + 'y',
      '_nango_raw',
      'nango_raw',
      'ID',
      'id',
      '2fa',
      'f_2fa',
      `${'é'.repeat(40)}z`,
      `${'a'.repeat(62)}é`,
    ];
    const plan = planColumns(
      [],
      names.map((field) => ({ field, type: 'jsonb' as const })),
    );
    const columns = plan.added.map((c) => c.column);
    assert.equal(columns.length, names.length - 1); // `id` is the record id
    assert.equal(new Set(columns).size, columns.length);
    for (const column of columns) {
      assert.match(column, /^[a-z][a-z0-9_]*[a-z0-9]$|^[a-z]$/);
      assert.ok(Buffer.byteLength(column) <= 63);
    }
    assert.deepEqual(
      planColumns(
        [],
        names.map((field) => ({ field, type: 'jsonb' as const })),
      ),
      plan,
    );
  });
});
