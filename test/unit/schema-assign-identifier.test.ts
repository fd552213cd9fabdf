import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import { MAX_IDENTIFIER_BYTES, assignIdentifier } from '../../src/schema/assign-identifier.js';
import { SYSTEM_COLUMNS } from '../../src/schema/column-type.js';
import { derivedIdentifier } from '../../src/schema/derived-identifier.js';

const none: ReadonlySet<string> = new Set();

function assertValidIdentifier(identifier: string): void {
  assert.match(identifier, /^[a-z][a-z0-9_]*$/);
  assert.ok(Buffer.byteLength(identifier, 'utf8') <= MAX_IDENTIFIER_BYTES, identifier);
  assert.ok(!identifier.endsWith('_'), identifier);
}

describe('assignIdentifier', () => {
  it('uses the snake_case name when it is free', () => {
    assert.equal(assignIdentifier('GithubIssue', none), 'github_issue');
    assert.equal(assignIdentifier('createdAt', none), 'created_at');
  });

  it('appends _2, _3, ... when the name is already taken', () => {
    assert.equal(assignIdentifier('userId', new Set(['user_id'])), 'user_id_2');
    assert.equal(assignIdentifier('userId', new Set(['user_id', 'user_id_2'])), 'user_id_3');
  });

  it('skips a suffix that is itself taken by a field literally named like it', () => {
    assert.equal(assignIdentifier('foo', new Set(['foo', 'foo_2', 'foo_3'])), 'foo_4');
  });

  it('a field whose name normalises to a system column gets a suffixed column', () => {
    assert.equal(assignIdentifier('ID', none), 'id_2');
    assert.equal(assignIdentifier('Id', none), 'id_2');
    assert.equal(assignIdentifier('id', none), 'id_2');
  });

  it('a field named like a _nango_ system column loses the leading underscore and never matches it', () => {
    assert.equal(assignIdentifier('_nango_raw', none), 'nango_raw');
    assert.equal(assignIdentifier('__nango_deleted_at', none), 'nango_deleted_at');
    for (const column of SYSTEM_COLUMNS) {
      const assigned = assignIdentifier(column, none);
      assert.ok(!(SYSTEM_COLUMNS as readonly string[]).includes(assigned), assigned);
      assert.ok(!assigned.startsWith('_nango_'), assigned);
    }
  });

  it('names an empty or symbol-only name "unnamed", then unnamed_2', () => {
    assert.equal(assignIdentifier('', none), 'unnamed');
    assert.equal(assignIdentifier('名前', new Set(['unnamed'])), 'unnamed_2');
    assert.equal(assignIdentifier('"\'`', none), 'unnamed');
  });

  it('prefixes names starting with a digit with f_', () => {
    assert.equal(assignIdentifier('2fa', none), 'f_2fa');
    assert.equal(assignIdentifier('123', none), 'f_123');
    assert.equal(assignIdentifier('-1', none), 'f_1');
  });

  it('cuts a 200-character name to 63 bytes', () => {
    const assigned = assignIdentifier('a'.repeat(200), none);
    assert.equal(assigned, 'a'.repeat(63));
  });

  it('shortens the base of a long name so the suffix still fits in 63 bytes', () => {
    const long = 'a'.repeat(200);
    assert.equal(assignIdentifier(long, new Set(['a'.repeat(63)])), `${'a'.repeat(61)}_2`);
    const taken = new Set(['a'.repeat(63), ...Array.from({ length: 8 }, (_, i) => `${'a'.repeat(61)}_${i + 2}`)]);
    assert.equal(assignIdentifier(long, taken), `${'a'.repeat(60)}_10`);
  });

  it('two long names equal in their first 63 bytes get distinct identifiers', () => {
    const taken = new Set<string>();
    const first = assignIdentifier(`${'x'.repeat(70)}First`, taken);
    taken.add(first);
    const second = assignIdentifier(`${'x'.repeat(70)}Second`, taken);
    assert.equal(first, 'x'.repeat(63));
    assert.equal(second, `${'x'.repeat(61)}_2`);
  });

  it('never leaves a trailing underscore where the cap or suffix cuts a word boundary', () => {
    const name = `${'a'.repeat(62)}_bcd`;
    assert.equal(assignIdentifier(name, none), 'a'.repeat(62));
    const base = `${'a'.repeat(60)}_b`; // 64 bytes capped to `a…a_b_`, trimmed
    assert.equal(assignIdentifier(`${base}_c`, none), base);
    assert.equal(assignIdentifier(`${base}_c`, new Set([base])), `${'a'.repeat(60)}_2`);
  });

  it('stays within 63 bytes at the boundary with multibyte characters', () => {
    const names = [
      `${'a'.repeat(62)}é`,
      `${'é'.repeat(40)}b`,
      `${'a'.repeat(61)}😀😀b`,
      `${'a'.repeat(62)}😀`,
      '😀'.repeat(100),
      `${'ß'.repeat(31)}x`.repeat(3),
    ];
    for (const name of names) {
      assertValidIdentifier(assignIdentifier(name, none));
      assertValidIdentifier(assignIdentifier(name, new Set([assignIdentifier(name, none)])));
    }
  });

  it('returns the same identifier for the same name and taken set', () => {
    const taken = new Set(['user_id', 'unnamed']);
    for (const name of ['userID', '', 'ÄÖÜ', 'x'.repeat(300), '_nango_cursor', 'ID']) {
      assert.equal(assignIdentifier(name, taken), assignIdentifier(name, new Set(taken)));
    }
  });

  it('produces valid, unique identifiers for a batch of hostile names', () => {
    const hostile = [
      'id',
      'ID',
      'Id',
      '_nango_raw',
      '_NANGO_RAW',
      'nango_raw',
      '',
      ' ',
      '"',
      "'",
      'a"b',
      "Robert'); DROP TABLE students;--",
      '名前',
      '住所',
      'prénom',
      'pr_nom',
      'x'.repeat(200),
      'x'.repeat(201),
      '0',
      '00',
      'f_0',
      '\u0000',
      'select',
      'user',
    ];
    const taken = new Set<string>(SYSTEM_COLUMNS);
    for (const name of hostile) {
      const assigned = assignIdentifier(name, taken);
      assertValidIdentifier(assigned);
      assert.ok(!taken.has(assigned), `${name} -> ${assigned} reused`);
      taken.add(assigned);
    }
  });
});

describe('assignIdentifier and Postgres names', () => {
  const none = new Set<string>();
  it('suffixes SQL reserved words, as any other collision', () => {
    assert.equal(assignIdentifier('user', none), 'user_2');
    assert.equal(assignIdentifier('Select', none), 'select_2');
    assert.equal(assignIdentifier('ORDER', new Set(['order_2'])), 'order_3');
    assert.equal(assignIdentifier('left', none), 'left_2');
    assert.equal(assignIdentifier('userName', none), 'user_name', 'only the whole name counts');
    assert.equal(assignIdentifier('time', none), 'time', 'unreserved key words are plain names');
  });

  it('suffixes Postgres system column names', () => {
    for (const name of ['ctid', 'xmin', 'xmax', 'cmin', 'cmax', 'tableoid']) assert.equal(assignIdentifier(name, none), `${name}_2`);
    assert.equal(assignIdentifier('oid', none), 'oid', 'not a system column since PostgreSQL 12');
  });
});

describe('derivedIdentifier', () => {
  it('appends the suffix, shortening the table name to fit 63 bytes', () => {
    assert.equal(derivedIdentifier('github_issue', '_pkey', new Set()), 'github_issue_pkey');
    assert.equal(derivedIdentifier('a'.repeat(63), '_pkey', new Set()), `${'a'.repeat(58)}_pkey`);
  });

  it('two long tables sharing a prefix get different names, the suffix kept last', () => {
    const first = derivedIdentifier(`${'a'.repeat(61)}_2`, '_pkey', new Set());
    const second = derivedIdentifier('a'.repeat(63), '_pkey', new Set([first]));
    assert.notEqual(first, second);
    assert.equal(second, `${'a'.repeat(56)}_2_pkey`);
    assert.ok(second.length <= MAX_IDENTIFIER_BYTES);
    assert.equal(derivedIdentifier('t', '_pkey', new Set(['t_pkey', 't_2_pkey'])), 't_3_pkey');
  });
});
