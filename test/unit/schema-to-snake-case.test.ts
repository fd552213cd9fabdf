import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toSnakeCase } from '../../src/schema/to-snake-case.js';

describe('toSnakeCase', () => {
  it('splits PascalCase model names into words', () => {
    assert.equal(toSnakeCase('GithubIssue'), 'github_issue');
  });

  it('keeps an acronym together and starts a new word at its last capital', () => {
    assert.equal(toSnakeCase('HTMLUrl'), 'html_url');
    assert.equal(toSnakeCase('userID'), 'user_id');
    assert.equal(toSnakeCase('APIKey'), 'api_key');
    assert.equal(toSnakeCase('URL'), 'url');
  });

  it('leaves names that are already snake_case unchanged', () => {
    assert.equal(toSnakeCase('created_at'), 'created_at');
    assert.equal(toSnakeCase('a1_b2'), 'a1_b2');
  });

  it('turns dashes, dots, spaces and quotes into single underscores', () => {
    assert.equal(toSnakeCase('issue-number'), 'issue_number');
    assert.equal(toSnakeCase('a.b c'), 'a_b_c');
    assert.equal(toSnakeCase('"; DROP TABLE x; --'), 'drop_table_x');
    assert.equal(toSnakeCase("it's"), 'it_s');
  });

  it('collapses runs of separators and trims them at both ends', () => {
    assert.equal(toSnakeCase('__a--__b__'), 'a_b');
    assert.equal(toSnakeCase('_nango_raw'), 'nango_raw');
  });

  it('treats every non-ASCII character as a separator, including ones that lowercase to ASCII', () => {
    assert.equal(toSnakeCase('prénom'), 'pr_nom');
    assert.equal(toSnakeCase('名前'), '');
    assert.equal(toSnakeCase('a😀b'), 'a_b');
    // KELVIN SIGN lowercases to ASCII "k" in Unicode; it must not sneak in.
    assert.equal(toSnakeCase('\u212Aey'), 'ey');
  });

  it('keeps digits attached to the word before them and splits before a following capital', () => {
    assert.equal(toSnakeCase('address2'), 'address2');
    assert.equal(toSnakeCase('s3Bucket'), 's3_bucket');
    assert.equal(toSnakeCase('ABC123Def'), 'abc123_def');
    assert.equal(toSnakeCase('2fa'), '2fa');
  });

  it('returns an empty string for names with no ASCII letter or digit', () => {
    assert.equal(toSnakeCase(''), '');
    assert.equal(toSnakeCase('!!!'), '');
    assert.equal(toSnakeCase('\u0000'), '');
  });

  it('only ever produces [a-z0-9_] without leading, trailing or doubled underscores', () => {
    const hostile = ['A_B', 'a__B', 'XMLHttpRequest', '  Leading', 'x\ty\nz', '\u0130stanbul', '$ref', 'über_Größe'];
    for (const name of hostile) {
      const snake = toSnakeCase(name);
      assert.match(snake, /^(?:[a-z0-9]+(?:_[a-z0-9]+)*)?$/, name);
    }
  });

  // Not timed (CI's two shared cores make any wall-time bound flaky): a quadratic pass over a million characters
  // would run for hours, so the test's generous timeout is what fails a regression.
  it('handles a huge all-capitals name in linear time', { timeout: 60_000 }, () => {
    const snake = toSnakeCase('A'.repeat(1_000_000) + 'b');
    assert.equal(snake.length, 1_000_002);
  });
});
