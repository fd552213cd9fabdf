import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { connectionIds, DEFAULT_STAND_IN_KEY, parseStandInArgs } from '../../scripts/stand-in-args.js';

describe('npm run stand-in arguments', () => {
  test('with none: port 3003, three GitHub connections of 3000 issues, no churn, config/demo.yaml written', () => {
    assert.deepEqual(parseStandInArgs([]), {
      port: 3003,
      host: '127.0.0.1',
      secretKey: DEFAULT_STAND_IN_KEY,
      seeds: [{ integration: 'github', connections: 3, records: 3000 }],
      rateLimit: null,
      churnMs: null,
      writeConfig: 'config/demo.yaml',
      help: false,
    });
  });

  test('--seed repeats, one integration each; --churn takes a period; --no-write-config prints only', () => {
    const args = parseStandInArgs(['--seed', 'github:2x10', '--seed', 'github-enterprise:1x5', '--churn', '1m', '--no-write-config']);
    assert.deepEqual(args.seeds, [
      { integration: 'github', connections: 2, records: 10 },
      { integration: 'github-enterprise', connections: 1, records: 5 },
    ]);
    assert.equal(args.churnMs, 60_000);
    assert.equal(args.writeConfig, null);
    assert.equal(parseStandInArgs(['--rate-limit', '100']).rateLimit, 100);
    assert.deepEqual(connectionIds(7), ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'conn-6', 'conn-7']);
  });

  test('each mistake is named with what is allowed', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--seed', 'github'], /--seed must look like INTEGRATION:CONNECTIONSxRECORDS, e\.g\. github:3x3000/],
      [['--seed', 'github:0x10'], /1\.\.100 connections/],
      [['--seed', 'github:10x200000'], /2,000,000 records in all; at most 1,000,000/],
      [['--seed', 'a:1x1', '--seed', 'a:2x2'], /integration "a" is given twice/],
      [['--churn', 'often'], /--churn must be a period of at least 100ms, like 20s or 1m \(got "often"\)/],
      [['--port', '70000'], /--port must be 0\.\.65535/],
      [['--rate-limit', 'lots'], /--rate-limit must be a whole number of requests a minute, at least 2 \(got "lots"\)/],
      [['--secret-key', 'hunter2'], /--secret-key must be a UUID v4/],
      [['--prot', '1'], /Unknown option '--prot'/],
    ];
    for (const [argv, message] of cases) assert.throws(() => parseStandInArgs(argv), message, argv.join(' '));
  });
});

test('config/demo.yaml is what `npm run stand-in` writes for its default data, so running it leaves the file as is', async () => {
  const { readFileSync } = await import('node:fs');
  const { standInWorkerConfig } = await import('../../scripts/stand-in-worker-config.js');
  const committed = readFileSync(new URL('../../config/demo.yaml', import.meta.url), 'utf8');
  assert.equal(committed, standInWorkerConfig(parseStandInArgs([]).seeds));
});
