import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COLUMN_TYPES, SYSTEM_COLUMNS, isColumnType, isReservedIdentifier, unionColumnType } from '../../src/schema/column-type.js';

describe('column types and system columns', () => {
  it('lists exactly the six column types', () => {
    assert.deepEqual([...COLUMN_TYPES], ['text', 'timestamptz', 'bigint', 'double precision', 'boolean', 'jsonb']);
    assert.equal(isColumnType('jsonb'), true);
    assert.equal(isColumnType('integer'), false);
    assert.equal(isColumnType(undefined), false);
  });

  it('lists the record id and the eleven _nango_ system columns', () => {
    assert.equal(SYSTEM_COLUMNS[0], 'id');
    assert.equal(SYSTEM_COLUMNS.length, 12);
    for (const column of SYSTEM_COLUMNS.slice(1)) assert.ok(column.startsWith('_nango_'), column);
    assert.ok(Object.isFrozen(SYSTEM_COLUMNS));
  });

  it('reserves every system column and anything starting with _nango_', () => {
    for (const column of SYSTEM_COLUMNS) assert.equal(isReservedIdentifier(column), true);
    assert.equal(isReservedIdentifier('_nango_anything_new'), true);
    assert.equal(isReservedIdentifier('nango_raw'), false);
    assert.equal(isReservedIdentifier('id_2'), false);
  });

  it("reserves Postgres' system columns and SQL reserved words, not unreserved key words", () => {
    for (const name of ['ctid', 'xmin', 'xmax', 'cmin', 'cmax', 'tableoid', 'user', 'select', 'order', 'left', 'current_user']) {
      assert.equal(isReservedIdentifier(name), true, name);
    }
    for (const name of ['oid', 'time', 'position', 'user_2', 'users', 'name']) assert.equal(isReservedIdentifier(name), false, name);
  });

  it('a union keeps the common type of its non-null branches, otherwise jsonb', () => {
    assert.equal(unionColumnType(['text', null]), 'text');
    assert.equal(unionColumnType(['text', 'text']), 'text');
    assert.equal(unionColumnType(['text', 'bigint']), 'jsonb');
    assert.equal(unionColumnType([null, null]), null);
    assert.equal(unionColumnType([]), 'jsonb');
  });
});
