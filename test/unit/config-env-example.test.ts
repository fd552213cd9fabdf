import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { parseDockerEnvFile } from '../helpers/parse-docker-env-file.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const replicatorYaml = read('config/replicator.yaml');
const files = (path: string) => (path === 'config/replicator.yaml' ? replicatorYaml : null);

describe('config/env.example', () => {
  test('copied to .env, it is read by `docker run --env-file` into a configuration the replicator accepts', () => {
    const env = parseDockerEnvFile(read('config/env.example'));
    assert.equal(env.NANGO_HOST, 'https://api.nango.dev');
    assert.equal(env.REDIS_URL, 'redis://127.0.0.1:6379');
    const config = loadConfig({ env, readTextFile: files });
    assert.equal(config.nango.host, 'https://api.nango.dev');
    assert.equal(config.nango.secretKey?.reveal(), '00000000-0000-4000-8000-000000000000');
    assert.equal(config.databaseUrl.reveal(), 'postgres://postgres@127.0.0.1:5432/postgres');
    assert.equal(config.httpPort, 8080);
    assert.deepEqual({ ...config.admin }, { port: 9464, host: '127.0.0.1', token: undefined });
    assert.equal(config.logLevel, 'info');
    assert.equal(config.target.fillfactor, 100);
    assert.equal(config.webhooks.signingKey, undefined);
    assert.equal(config.configPath, 'config/replicator.yaml');
  });

  test('every variable the replicator reads is listed, and nothing else', async () => {
    const { envSchema } = await import('../../src/config/env-schema.js');
    const listed = Object.keys(parseDockerEnvFile(read('config/env.example'))).sort();
    assert.deepEqual(listed, Object.keys(envSchema.shape).sort());
  });

  test('an inline comment would become part of the value, as Docker reads it', () => {
    const env = parseDockerEnvFile('NANGO_HOST=https://api.nango.dev   # self-hosted Nango: its URL\n');
    assert.equal(env.NANGO_HOST, 'https://api.nango.dev   # self-hosted Nango: its URL');
    assert.throws(() => loadConfig({ env, readTextFile: files }), /NANGO_HOST: Invalid URL/);
  });

  test('the parser follows Docker: literal values, comments only at line start, a bare KEY takes the host value', () => {
    const text = '\uFEFF# comment\n\n  A="quoted" \nB=x=y\n  # indented comment\nC\nD\nE=\n';
    assert.deepEqual(parseDockerEnvFile(text, { C: 'from host' }), { A: '"quoted" ', B: 'x=y', C: 'from host', E: '' });
    assert.throws(() => parseDockerEnvFile('MY KEY=1\n'), /contains whitespaces/);
  });
});
