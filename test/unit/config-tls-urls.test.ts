import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describe, test } from 'node:test';
import { scrubSecrets } from '../../src/cli/scrub-secrets.js';
import { loadConfig } from '../../src/config/load-config.js';
import { describeInfrastructureError } from '../../src/errors/describe-infrastructure-error.js';
import { captureLogger } from '../helpers/capture-logger.js';

const PG_PASSWORD = 'pg-Pa55word';
const REDIS_PASSWORD = 'redis-Pa55word';
const TOKEN = 'admin-token-0123456789abcdef';
const env = {
  DATABASE_URL: `postgres://replicator:${PG_PASSWORD}@db.internal:5432/app?sslmode=verify-full&sslrootcert=/etc/ssl/certs/db-ca.pem`,
  REDIS_URL: `rediss://replicator:${REDIS_PASSWORD}@redis.internal:6380`,
  ADMIN_TOKEN: TOKEN,
};
const secrets = new RegExp([PG_PASSWORD, REDIS_PASSWORD, TOKEN].join('|'));

describe('TLS URLs (rediss://, sslmode) and the admin token stay secret', () => {
  const config = loadConfig({ env, readTextFile: () => null });

  test('the README examples are accepted as they are written', () => {
    assert.equal(config.databaseUrl.reveal(), env.DATABASE_URL);
    assert.equal(config.redisUrl.reveal(), env.REDIS_URL);
  });

  test('printed, serialized or logged, the configuration shows none of the passwords or the token', () => {
    const { logger, text } = captureLogger();
    logger.info({ config, databaseUrl: env.DATABASE_URL, token: TOKEN, admin: { token: TOKEN } }, 'configured');
    for (const shown of [inspect(config, { depth: 10 }), JSON.stringify(config), String(config.redisUrl), text()]) {
      assert.doesNotMatch(shown, secrets);
    }
  });

  test('errors about those servers name the host and port, never a password', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const pgError = describeInfrastructureError(refused, { service: 'postgres', url: config.databaseUrl }) as Error;
    const redisError = describeInfrastructureError(refused, { service: 'redis', url: config.redisUrl }) as Error;
    assert.match(pgError.message, /db\.internal:5432/);
    assert.match(redisError.message, /redis\.internal:6380/);
    assert.doesNotMatch(pgError.message + redisError.message, secrets);
  });

  test('a library message quoting a URL or the token is scrubbed before the operator sees it', () => {
    const leaked = `failed: ${env.DATABASE_URL} / ${env.REDIS_URL} / Bearer ${TOKEN}`;
    assert.doesNotMatch(scrubSecrets(leaked, config, env), secrets);
    assert.doesNotMatch(scrubSecrets(leaked, undefined, env), secrets);
  });
});
