import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { containsNul, stripNul } from '../../src/schema/strip-nul.js';

describe('stripNul', () => {
  it('returns the very same object when there is no NUL anywhere', () => {
    const record = { id: '1', title: 'hello', tags: ['a', 'b'], nested: { n: 1, ok: true, none: null, nan: Number.NaN } };
    const result = stripNul(record);
    assert.equal(result.value, record);
    assert.equal(result.removed, 0);
  });

  it('removes NUL from a plain string and counts each one', () => {
    assert.deepEqual(stripNul('a\u0000b\u0000\u0000'), { value: 'ab', removed: 3 });
    assert.deepEqual(stripNul('\u0000'), { value: '', removed: 1 });
  });

  it('removes NUL from strings and keys at any depth without mutating the input', () => {
    const input = { a: { b: [1, 'x\u0000y', { 'k\u0000ey': 'v\u0000' }] }, untouched: { deep: ['same'] } };
    const snapshot = structuredClone(input);
    const { value, removed } = stripNul(input);
    assert.deepEqual(value, { a: { b: [1, 'xy', { key: 'v' }] }, untouched: { deep: ['same'] } });
    assert.equal(removed, 3);
    assert.deepEqual(input, snapshot);
    assert.equal(value.untouched, input.untouched, 'unchanged branches are shared, not copied');
  });

  it('keeps key order when it rewrites an object', () => {
    const { value } = stripNul({ first: 1, 'sec\u0000ond': 2, third: 3 });
    assert.deepEqual(Object.keys(value), ['first', 'second', 'third']);
  });

  it('lets the later key win when two keys become equal, as JSON does', () => {
    const { value, removed } = stripNul(JSON.parse('{"a\\u0000":1,"a":2}') as Record<string, number>);
    assert.deepEqual(value, { a: 2 });
    assert.equal(removed, 1);
  });

  it('keeps a key named __proto__ as data instead of changing the prototype', () => {
    const input = JSON.parse('{"__proto__":{"polluted":"x\\u0000"},"b":"\\u0000"}') as Record<string, unknown>;
    const { value } = stripNul(input);
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(value, '__proto__')?.value, { polluted: 'x' });
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  it('leaves numbers, booleans, null and non-plain objects as they are', () => {
    const date = new Date(0);
    for (const value of [0, true, null, undefined, date]) assert.equal(stripNul(value).value, value);
  });

  // Not timed (the bench measures speed): what keeps it cheap is that a clean record is never copied.
  it('returns a large clean record as the same object, not a copy', () => {
    const record = { items: Array.from({ length: 100_000 }, (_, i) => ({ id: String(i), name: `item ${i}`, n: i })) };
    const result = stripNul(record);
    assert.equal(result.value, record);
    assert.equal(result.value.items, record.items);
  });
});

describe('containsNul', () => {
  it('finds the JSON escape of U+0000 in serialized text', () => {
    assert.equal(containsNul(JSON.stringify({ a: 'x\u0000y' })), true);
    assert.equal(containsNul(JSON.stringify({ 'k\u0000': 1 })), true);
  });

  it('finds a raw U+0000 character', () => {
    assert.equal(containsNul('abc\u0000'), true);
  });

  it('is false for clean text', () => {
    assert.equal(containsNul(JSON.stringify({ a: 'hello', b: [1, 2] })), false);
    assert.equal(containsNul(''), false);
  });

  it('does not mistake an escaped backslash followed by u0000 for a NUL', () => {
    assert.equal(containsNul(JSON.stringify({ a: '\\u0000' })), false);
    assert.equal(containsNul(JSON.stringify({ a: '\\\u0000' })), true);
    assert.equal(containsNul(JSON.stringify({ a: '\\u0000 then \u0000' })), true);
  });

  it('agrees with stripNul on whether the parsed value has a NUL', () => {
    const samples = [{ a: 'plain' }, { a: 'x\u0000' }, { 'k\u0000': 1 }, { a: '\\u0000' }, ['\\', '\u0000'], { a: '\\\\u0000' }];
    for (const sample of samples) {
      const json = JSON.stringify(sample);
      assert.equal(containsNul(json), stripNul(JSON.parse(json) as unknown).removed > 0, json);
    }
  });
});
