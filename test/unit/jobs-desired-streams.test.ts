import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StreamRule } from '../../src/config/replicator-config.js';
import { desiredStreams, FALLBACK_EVERY_MS } from '../../src/jobs/discovery/desired-streams.js';
import type { NangoConnection } from '../../src/nango/list-connections.js';

const conn = (providerConfigKey: string, connectionId: string, provider = 'github'): NangoConnection => ({
  provider_config_key: providerConfigKey,
  connection_id: connectionId,
  provider,
});
const rule = (overrides: Partial<StreamRule>): StreamRule => ({
  integration: 'github-prod',
  models: '*',
  connections: '*',
  everyMs: undefined,
  ...overrides,
});
const config = [
  {
    providerConfigKey: 'github-prod',
    provider: 'github',
    syncs: [
      { name: 'issues', returns: ['GithubIssue'], runs: 'every hour' },
      { name: 'prs', returns: ['GithubPullRequest', 'GithubIssue'], runs: 'every 10 minutes' },
      { name: 'broken', returns: [] },
      'not a sync',
    ],
  },
  { providerConfigKey: 'slack', provider: 'slack', syncs: [{ name: 'messages', returns: 'SlackMessage', runs: 'every day' }] },
];
const ids = (result: ReturnType<typeof desiredStreams>) => result.streams.map((s) => `${s.id} ${s.everyMs}`);

describe('which streams the rules ask for', () => {
  test('"*" expands to every connection and every model the integration\'s syncs return, at the shortest `runs`', () => {
    const result = desiredStreams([rule({})], {
      connections: [conn('github-prod', 'acme'), conn('slack', 'acme', 'slack')],
      scriptsConfig: config,
    });
    assert.deepEqual(ids(result), ['sync/github-prod/acme/GithubIssue 600000', 'sync/github-prod/acme/GithubPullRequest 600000']);
  });

  test("a configured `every` wins over the sync's; explicit lists are taken as written", () => {
    const result = desiredStreams([rule({ models: ['GithubIssue'], connections: ['acme', 'gone'], everyMs: 5000 })], {
      connections: [conn('github-prod', 'acme')],
      scriptsConfig: config,
    });
    assert.deepEqual(ids(result), ['sync/github-prod/acme/GithubIssue 5000', 'sync/github-prod/gone/GithubIssue 5000']);
  });

  test("an integration merged into another's entry (same provider) is found through its connections' provider", () => {
    const result = desiredStreams([rule({ integration: 'github-dev' })], {
      connections: [conn('github-dev', 'me')],
      scriptsConfig: config,
    });
    assert.deepEqual(ids(result), ['sync/github-dev/me/GithubIssue 600000', 'sync/github-dev/me/GithubPullRequest 600000']);
  });

  test('a model without a declared frequency syncs hourly and the operator is told; an integration without syncs is said so', () => {
    const result = desiredStreams([rule({ models: ['Unknown'] }), rule({ integration: 'hubspot' })], {
      connections: [conn('github-prod', 'acme'), conn('hubspot', 'x', 'hubspot')],
      scriptsConfig: config,
    });
    assert.deepEqual(ids(result), [`sync/github-prod/acme/Unknown ${FALLBACK_EVERY_MS}`]);
    assert.equal(result.notes.length, 2);
  });

  test('a stream matched by two rules takes the first', () => {
    const result = desiredStreams([rule({ models: ['GithubIssue'], everyMs: 1000 }), rule({ everyMs: 2000 })], {
      connections: [conn('github-prod', 'acme')],
      scriptsConfig: config,
    });
    assert.deepEqual(ids(result), ['sync/github-prod/acme/GithubIssue 1000', 'sync/github-prod/acme/GithubPullRequest 2000']);
  });
});
