import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describe, test } from 'node:test';
import { loadConfig, requireSecretKey } from '../../src/config/load-config.js';
import { ReplicatorError } from '../../src/errors/replicator-error.js';

const KEY = '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';
const files = (map: Record<string, string>) => (path: string) => map[path] ?? null;

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ReplicatorError);
    assert.equal(error.code, 'invalid_config');
    assert.equal(error.retry, 'terminal');
    return error.message;
  }
  assert.fail('expected a configuration error');
}

describe('configuration', () => {
  test('with no file and no variables, the defaults work on a laptop', () => {
    const config = loadConfig({ env: {}, readTextFile: files({}) });
    assert.equal(config.nango.host, 'https://api.nango.dev');
    assert.equal(config.nango.pageSize, 1000);
    assert.equal(config.nango.requestTimeoutMs, 30_000);
    assert.equal(config.target.schema, 'nango');
    assert.equal(config.target.deletes, 'soft');
    assert.equal(config.target.fillfactor, 100);
    assert.equal(config.databaseUrl.reveal(), 'postgres://postgres@127.0.0.1:5432/postgres');
    assert.equal(config.configPath, null);
    assert.ok(Object.isFrozen(config.nango));
  });

  test('the shipped config/replicator.yaml parses to exactly the defaults', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(new URL('../../config/replicator.yaml', import.meta.url), 'utf8');
    const fromFile = loadConfig({ env: {}, readTextFile: files({ 'config/replicator.yaml': text }) });
    const defaults = loadConfig({ env: {}, readTextFile: files({}) });
    assert.deepEqual(
      { ...fromFile, configPath: null, databaseUrl: null, redisUrl: null },
      { ...defaults, databaseUrl: null, redisUrl: null },
    );
  });

  test('durations accept vercel-ms notation and a trailing slash on the host is dropped', () => {
    const config = loadConfig({
      env: { NANGO_HOST: 'http://localhost:3003/', REPLICATOR_CONFIG: 'c.yaml' },
      readTextFile: files({ 'c.yaml': 'nango:\n  requestTimeout: 2m\n  pageSize: 10000\n' }),
    });
    assert.equal(config.nango.host, 'http://localhost:3003');
    assert.equal(config.nango.requestTimeoutMs, 120_000);
    assert.equal(config.nango.pageSize, 10000);
  });

  test('a bad value names the key, what is allowed and what was given', () => {
    const message = configError(() =>
      loadConfig({ env: { REPLICATOR_CONFIG: 'c.yaml' }, readTextFile: files({ 'c.yaml': 'nango:\n  pageSize: 20000\n' }) }),
    );
    assert.match(message, /c\.yaml: nango\.pageSize: .*10000.*\(got 20000\)/);
  });

  test('the table fillfactor comes from the file, and REPLICATOR_TABLE_FILLFACTOR overrides it', () => {
    const fromFile = loadConfig({ env: { REPLICATOR_CONFIG: 'c.yaml' }, readTextFile: files({ 'c.yaml': 'target:\n  fillfactor: 50\n' }) });
    assert.equal(fromFile.target.fillfactor, 50);
    const fromEnv = loadConfig({
      env: { REPLICATOR_CONFIG: 'c.yaml', REPLICATOR_TABLE_FILLFACTOR: '70' },
      readTextFile: files({ 'c.yaml': 'target:\n  fillfactor: 50\n' }),
    });
    assert.equal(fromEnv.target.fillfactor, 70);
    assert.equal(loadConfig({ env: { REPLICATOR_TABLE_FILLFACTOR: '' }, readTextFile: files({}) }).target.fillfactor, 100);
  });

  test('a fillfactor outside 10..100 is refused with the key and the allowed range', () => {
    for (const bad of ['5', '101', '50.5', 'half']) {
      const message = configError(() =>
        loadConfig({ env: { REPLICATOR_CONFIG: 'c.yaml' }, readTextFile: files({ 'c.yaml': `target:\n  fillfactor: ${bad}\n` }) }),
      );
      assert.match(message, /c\.yaml: target\.fillfactor: must be a whole number from 10 to 100/, message);
    }
    const message = configError(() => loadConfig({ env: { REPLICATOR_TABLE_FILLFACTOR: '0' }, readTextFile: files({}) }));
    assert.match(message, /REPLICATOR_TABLE_FILLFACTOR: must be a whole number from 10 to 100 .*\(got "0"\)/);
  });

  test('an unknown key is refused, so a typo does not pass silently', () => {
    const message = configError(() =>
      loadConfig({ env: { REPLICATOR_CONFIG: 'c.yaml' }, readTextFile: files({ 'c.yaml': 'target:\n  shema: x\n' }) }),
    );
    assert.match(message, /target.*shema/);
  });

  test('an unknown key suggests the known key nearest to it, or lists the known keys', () => {
    const load = (yaml: string) =>
      configError(() => loadConfig({ env: { REPLICATOR_CONFIG: 'c.yaml' }, readTextFile: files({ 'c.yaml': yaml }) }));
    assert.match(load('nango:\n  pagesize: 500\n'), /c\.yaml: nango: Unrecognized key: "pagesize" \(did you mean pageSize\?\)/);
    assert.match(load('workr:\n  concurrency: 2\n'), /\(root\): Unrecognized key: "workr" \(did you mean worker\?\)/);
    assert.match(load('worker:\n  atempts: 3\n'), /worker: Unrecognized key: "atempts" \(did you mean attempts\?\)/);
    assert.match(
      load('target:\n  colour: blue\n'),
      /target: Unrecognized key: "colour" \(known keys: schema, deletes, fillfactor, onConnectionDeleted, history\)/,
    );
  });

  test('a number out of range states the whole range', () => {
    for (const bad of ['0', '20000']) {
      const message = configError(() =>
        loadConfig({ env: { REPLICATOR_CONFIG: 'c.yaml' }, readTextFile: files({ 'c.yaml': `nango:\n  pageSize: ${bad}\n` }) }),
      );
      assert.match(message, new RegExp(`nango\\.pageSize: must be a whole number from 1 to 10000 \\(got ${bad}\\)`));
    }
    for (const bad of ['70000', '-1']) {
      const message = configError(() => loadConfig({ env: { PORT: bad }, readTextFile: files({}) }));
      assert.match(message, new RegExp(`PORT: must be a whole number from 0 to 65535 \\(got "${bad}"\\)`));
    }
  });

  test('the admin door: 127.0.0.1:9464 by default, its token a secret; one port for both doors is refused', () => {
    const defaults = loadConfig({ env: {}, readTextFile: files({}) });
    assert.deepEqual({ ...defaults.admin }, { port: 9464, host: '127.0.0.1', token: undefined });
    const set = loadConfig({
      env: { ADMIN_PORT: '9100', ADMIN_HOST: '0.0.0.0', ADMIN_TOKEN: 'a-long-admin-token-0123' },
      readTextFile: files({}),
    });
    assert.equal(set.admin.port, 9100);
    assert.equal(set.admin.host, '0.0.0.0');
    assert.equal(set.admin.token?.reveal(), 'a-long-admin-token-0123');
    assert.doesNotMatch(inspect(set) + JSON.stringify(set), /a-long-admin-token/);
    assert.match(
      configError(() => loadConfig({ env: { ADMIN_PORT: '70000' }, readTextFile: files({}) })),
      /ADMIN_PORT: must be a whole number from 0 to 65535/,
    );
    const short = configError(() => loadConfig({ env: { ADMIN_TOKEN: 'hunter2' }, readTextFile: files({}) }));
    assert.match(short, /ADMIN_TOKEN: must be at least 16 characters/);
    assert.doesNotMatch(short, /hunter2/, 'a token is never echoed');
    assert.match(
      configError(() => loadConfig({ env: { PORT: '9000', ADMIN_PORT: '9000' }, readTextFile: files({}) })),
      /PORT and ADMIN_PORT are both 9000/,
    );
  });

  test('a DATABASE_URL that is not a URL is named, without its value', () => {
    const message = configError(() => loadConfig({ env: { DATABASE_URL: 'postgres://app:s3cret pw@:port' }, readTextFile: files({}) }));
    assert.match(message, /DATABASE_URL: is not a valid URL: write it as postgres:\/\/user:password@host:5432\/database/);
    assert.equal(message.includes('s3cret'), false);
  });

  test('several problems are reported at once', () => {
    const message = configError(() =>
      loadConfig({
        env: { REPLICATOR_CONFIG: 'c.yaml' },
        readTextFile: files({ 'c.yaml': 'nango:\n  pageSize: 0\ntarget:\n  deletes: maybe\n  schema: "Bad-Name"\n' }),
      }),
    );
    assert.match(message, /nango\.pageSize/);
    assert.match(message, /target\.deletes/);
    assert.match(message, /target\.schema/);
  });

  test('YAML that does not parse is reported with the file name', () => {
    const message = configError(() =>
      loadConfig({ env: { REPLICATOR_CONFIG: 'c.yaml' }, readTextFile: files({ 'c.yaml': 'nango: [unclosed' }) }),
    );
    assert.match(message, /c\.yaml is not valid YAML/);
  });

  test('a bad environment variable is named, but a secret value is never echoed', () => {
    const message = configError(() =>
      loadConfig({ env: { DATABASE_URL: 'mysql://u:hunter2@db/x', LOG_LEVEL: 'loud' }, readTextFile: files({}) }),
    );
    assert.match(message, /DATABASE_URL: must be a postgres:\/\/ URL/);
    assert.match(message, /LOG_LEVEL.*\(got "loud"\)/);
    assert.equal(message.includes('hunter2'), false);
  });

  test('the secret key prints as [redacted] however it is printed', () => {
    const config = loadConfig({ env: { NANGO_SECRET_KEY: KEY }, readTextFile: files({}) });
    const key = requireSecretKey(config);
    assert.equal(key.reveal(), KEY);
    for (const text of [String(key), JSON.stringify(config), inspect(config, { depth: 5 }), `${key}`]) {
      assert.equal(text.includes(KEY), false, text);
    }
  });

  test('a missing secret key says how to provide it', () => {
    const config = loadConfig({ env: { NANGO_SECRET_KEY: '' }, readTextFile: files({}) });
    assert.match(
      configError(() => requireSecretKey(config)),
      /NANGO_SECRET_KEY is not set/,
    );
  });
});
