import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { redisAclRule } from '../../src/config/redis-acl.js';
import { NANGO_SCOPES } from '../../src/nango/nango-scopes.js';
import { postgresGrants } from '../../src/store/postgres-grants.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const security = readme.slice(readme.indexOf('## Security'), readme.indexOf('\n## ', readme.indexOf('## Security') + 1));

describe("the README's Security section says what the code and the tests use", () => {
  test('the Postgres grants are those the least-privilege test runs', () => {
    const sql = postgresGrants({ database: 'app', role: 'nango_replicator', targetSchema: 'nango', password: 'change-me' });
    assert.ok(security.includes(sql.map((s) => `${s};`).join('\n')), sql.join('\n'));
  });

  test('the ACL line is the rule the Redis ACL test runs, for the default prefixes', () => {
    const rule = redisAclRule({ queuePrefix: undefined, redisKeyPrefix: 'nango-replicator:' });
    assert.ok(security.includes(`user nango-replicator on >change-me ${rule}`));
  });

  test('every scope the Nango client maps a 403 to is in the table, with its request', () => {
    for (const { method, path, scope } of NANGO_SCOPES)
      assert.match(security, new RegExp(`\\| \`${scope}\` \\| \`${method} ${path}\` \\|`));
  });

  test('it shows the two doors, the token, and a TLS example for each server', () => {
    for (const text of ['ADMIN_TOKEN', 'ADMIN_HOST', 'PORT', 'sslmode=verify-full', 'rediss://', 'config/prometheus.yml'])
      assert.ok(security.includes(text), text);
  });
});
