import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { parseFrequency } from '../../src/config/parse-frequency.js';

const load = (yaml: string, env: Record<string, string> = {}) =>
  loadConfig({ env: { REPLICATOR_CONFIG: 'test.yaml', ...env }, readTextFile: () => yaml });

describe('sync frequencies', () => {
  test("Nango's phrasing and vercel-ms both read as milliseconds", () => {
    const cases: Array<[string, number]> = [
      ['every half hour', 1_800_000],
      ['every quarter hour', 900_000],
      ['every half day', 43_200_000],
      ['every hour', 3_600_000],
      ['every day', 86_400_000],
      ['every week', 604_800_000],
      ['every month', 2_592_000_000],
      ['every 30 minutes', 1_800_000],
      ['every 2 days', 172_800_000],
      ['every minute', 60_000],
      ['30m', 1_800_000],
      ['5m', 300_000],
      ['1s', 1000],
      ['2 hrs', 7_200_000],
      ['Every 15 Mins', 900_000],
    ];
    for (const [text, ms] of cases) assert.equal(parseFrequency(text), ms, text);
  });

  test('anything else is refused, decimals included, as Nango refuses them', () => {
    for (const text of ['', 'sometimes', '1.5h', 'every 0 s', 'every -5m', '5 fortnights', 'hourly'])
      assert.equal(parseFrequency(text), null, text);
  });
});

describe('worker configuration', () => {
  test('defaults: nothing followed, discovery every minute, four jobs at once, 25 s to drain', () => {
    const config = load('');
    assert.deepEqual(config.streams, []);
    assert.equal(config.discovery.everyMs, 60_000);
    assert.deepEqual(config.worker, {
      concurrency: 4,
      shutdownTimeoutMs: 25_000,
      slicePages: 50,
      lockDurationMs: 30_000,
      attempts: 5,
      backoffMs: 2_000,
    });
    assert.equal(config.queuePrefix, undefined, "BullMQ's own default prefix");
    assert.equal(config.redisKeyPrefix, 'nango-replicator:');
    assert.equal(config.httpPort, 8080);
    assert.deepEqual(config.nango.rateLimit, { requestsPerMinute: 200, share: 0.9, key: undefined, windowMs: 60_000 });
  });

  test('a stream rule reads every notation; models, connections and variants default to "*"', () => {
    const config = load(
      'streams:\n  - integration: github\n    models: [GithubIssue]\n    every: every half hour\n    variants: [base, eu]\n' +
        '  - integration: linear\n    connections: [acme]\n    every: 90s\n',
      { PORT: '9090' },
    );
    const defaults = { safetyNetMs: 21_600_000, detection: 'none' };
    assert.deepEqual(config.streams, [
      { integration: 'github', models: ['GithubIssue'], connections: '*', everyMs: 1_800_000, ...defaults, variants: ['base', 'eu'] },
      { integration: 'linear', models: '*', connections: ['acme'], everyMs: 90_000, ...defaults, variants: '*' },
    ]);
    assert.deepEqual(config.variants, { everyMs: 3_600_000, timeoutMs: 60_000 });
    assert.equal(config.httpPort, 9090);
  });

  test('a Redis Cluster: its seed nodes, and BullMQ keys under a hash tag so that each queue lives in one slot', () => {
    const config = load('', { REDIS_CLUSTER_NODES: '10.0.0.1:7000,redis-b.internal:7001' });
    assert.deepEqual(config.redisClusterNodes, [
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-b.internal', port: 7001 },
    ]);
    assert.equal(config.queuePrefix, '{nango-replicator}');
    assert.equal(load('queue:\n  prefix: "{acme}-nr"\n', { REDIS_CLUSTER_NODES: '10.0.0.1:7000' }).queuePrefix, '{acme}-nr');
    assert.equal(load('', {}).redisClusterNodes, null);
    assert.equal(load('', {}).queuePrefix, undefined, "a single Redis keeps BullMQ's own default");
  });

  test('mistakes name the key and what is allowed', () => {
    const message = (yaml: string, env: Record<string, string> = {}) => {
      try {
        load(yaml, env);
        return 'accepted';
      } catch (error) {
        return (error as Error).message;
      }
    };
    assert.match(
      message('streams:\n  - integration: github\n    every: sometimes\n'),
      /streams\.0\.every: must be a frequency of at least 1s/,
    );
    assert.match(
      message('streams:\n  - integraton: github\n'),
      /streams\.0: Unrecognized key: "integraton" \(did you mean integration\?\)/,
    );
    assert.match(message('streams:\n  - integration: github\n    models: []\n'), /streams\.0\.models/);
    assert.match(
      message('streams:\n  - integration: github\n    variants: [eu west]\n'),
      /streams\.0\.variants\.0: must be a sync variant name/,
    );
    assert.match(message('worker:\n  concurrency: 0\n'), /worker\.concurrency: must be a whole number from 1 to 256 \(got 0\)/);
    assert.match(message('worker:\n  shutdownTimeout: soon\n'), /worker\.shutdownTimeout: must be a duration/);
    assert.match(message('queue:\n  prefix: "a{b}"\n'), /queue\.prefix: must be a name without whitespace, or a \{hash tag\} then a name/);
    assert.match(message('queue:\n  prefix: bull\n', { REDIS_CLUSTER_NODES: '10.0.0.1:6379' }), /queue\.prefix "bull" has no hash tag/);
    assert.match(message('', { REDIS_CLUSTER_NODES: '10.0.0.1' }), /REDIS_CLUSTER_NODES: must be a comma-separated list of host:port/);
    assert.match(
      message('nango:\n  rateLimit:\n    share: 1.5\n'),
      /nango\.rateLimit\.share: must be a number above 0 and at most 1 \(got 1\.5\)/,
    );
    assert.match(message('', { PORT: 'eighty' }), /PORT/);
  });
});
