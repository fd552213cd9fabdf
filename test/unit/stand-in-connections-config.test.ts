import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { mulberry32 } from '../../stand-in/mulberry32.js';
import { startNangoStandIn, type NangoStandIn } from '../../stand-in/nango-stand-in.js';
import { churnGithubIssues, githubIssueJsonSchema, makeGithubIssue, seedGithubDemo } from '../../stand-in/sample-data.js';

const SECRET = randomUUID();

describe('GET /connections and GET /scripts/config on the stand-in', () => {
  let standIn: NangoStandIn;
  let nowMs = Date.UTC(2026, 5, 1, 12);

  before(async () => {
    standIn = await startNangoStandIn({ secretKey: SECRET, now: () => nowMs });
    for (const [pck, connectionId, team] of [
      ['github-prod', 'acme', 'red'],
      ['github-dev', 'globex', 'blue'],
      ['hubspot', 'initech', 'red'],
      ['github-prod', 'umbrella', 'blue'],
    ] as const) {
      nowMs += 1000;
      standIn.store.addConnection({
        providerConfigKey: pck,
        connectionId,
        provider: pck.startsWith('github') ? 'github' : 'hubspot',
        tags: { Team: team },
        endUser: connectionId === 'acme' ? { id: 'u1', email: 'ops@acme.test', displayName: 'Acme Ops' } : null,
      });
    }
  });
  after(() => standIn.close());

  async function get(path: string): Promise<{ status: number; body: any }> {
    const res = await fetch(`${standIn.url}${path}`, { headers: { Authorization: `Bearer ${SECRET}` } });
    return { status: res.status, body: await res.json() };
  }
  const ids = (body: any) => body.connections.map((c: any) => c.connection_id);

  it('lists connections newest first with the public fields', async () => {
    const { status, body } = await get('/connections');
    assert.equal(status, 200);
    assert.deepEqual(ids(body), ['umbrella', 'initech', 'globex', 'acme']);
    const acme = body.connections[3];
    assert.deepEqual(Object.keys(acme), [
      'id',
      'connection_id',
      'provider_config_key',
      'provider',
      'errors',
      'end_user',
      'tags',
      'metadata',
      'created',
    ]);
    assert.equal(typeof acme.id, 'number');
    assert.equal(acme.created, '2026-06-01T12:00:01+00:00');
    assert.deepEqual(acme.tags, { team: 'red' });
    assert.equal(acme.end_user.email, 'ops@acme.test');
  });

  it('pages with limit and a 0-based page; a short page means the end', async () => {
    assert.deepEqual(ids((await get('/connections?limit=3')).body), ['umbrella', 'initech', 'globex']);
    assert.deepEqual(ids((await get('/connections?limit=3&page=1')).body), ['acme']);
    assert.deepEqual(ids((await get('/connections?limit=3&page=2')).body), []);
    assert.equal((await get('/connections?limit=2001')).status, 400);
    assert.equal((await get('/connections?page=-1')).status, 400);
  });

  it('filters by integrationId list, tags[k]=v, connectionId and search', async () => {
    assert.deepEqual(ids((await get('/connections?integrationId=github-prod,hubspot')).body), ['umbrella', 'initech', 'acme']);
    assert.deepEqual(ids((await get('/connections?tags[team]=blue')).body), ['umbrella', 'globex']);
    assert.deepEqual(ids((await get('/connection?connectionId=acme')).body), ['acme']);
    assert.deepEqual(ids((await get('/connections?search=ACME%20o')).body), ['acme']);
  });

  it('rejects unknown query parameters with 400 invalid_query_params', async () => {
    const { status, body } = await get('/connections?foo=bar');
    assert.equal(status, 400);
    assert.equal(body.error.code, 'invalid_query_params');
    assert.equal(body.error.errors[0].code, 'unrecognized_keys');
  });

  it('/scripts/config is an array grouped by provider with json_schema, empty fields and lowercase sync_type', async () => {
    assert.deepEqual((await get('/scripts/config')).body, []);
    const schema = structuredClone(githubIssueJsonSchema) as unknown as Record<string, unknown>;
    standIn.store.deploySync({
      providerConfigKey: 'github-prod',
      name: 'issues',
      models: [{ name: 'GithubIssue', jsonSchema: schema }],
      runs: 'every hour',
      syncType: 'incremental',
    });
    standIn.store.deploySync({
      providerConfigKey: 'github-dev',
      name: 'commits',
      models: [{ name: 'GithubCommit', jsonSchema: { type: 'object' } }],
    });
    standIn.store.deploySync({
      providerConfigKey: 'hubspot',
      name: 'contacts',
      models: [
        {
          name: 'Contact',
          fields: [
            { name: 'id', type: 'string' },
            { name: 'email?', type: 'string' },
          ],
        },
      ],
      trackDeletes: true,
    });
    const { status, body } = await get('/scripts/config');
    assert.equal(status, 200);
    assert.ok(Array.isArray(body));
    assert.deepEqual(
      body.map((c: any) => [c.provider, c.providerConfigKey, c.syncs.map((s: any) => s.name)]),
      [
        ['github', 'github-dev', ['commits', 'issues']],
        ['hubspot', 'hubspot', ['contacts']],
      ],
    );
    const issues = body[0].syncs[1];
    assert.deepEqual(issues.json_schema, { definitions: { GithubIssue: schema } });
    assert.deepEqual(issues.models, [{ name: 'GithubIssue', fields: [] }]);
    assert.deepEqual(issues.returns, ['GithubIssue']);
    assert.equal(issues.sync_type, 'incremental');
    assert.equal(issues.runs, 'every hour');
    const legacy = body[1].syncs[0];
    assert.equal(legacy.json_schema, null);
    assert.deepEqual(legacy.models[0].fields, [
      { name: 'id', type: 'string' },
      { name: 'email?', type: 'string' },
    ]);
    assert.equal(legacy.track_deletes, true);
    assert.equal(legacy.sync_type, 'full');
  });
});

describe('stand-in sample data', () => {
  it('makeGithubIssue is deterministic for a seed and has a ~500 byte body', () => {
    const a = makeGithubIssue(7, mulberry32(3));
    assert.deepEqual(a, makeGithubIssue(7, mulberry32(3)));
    assert.equal(a.id, '1000007');
    assert.equal(a.body.length >= 450 && a.body.length <= 500, true);
    assert.ok(a.updated_at >= a.created_at);
  });

  it('seedGithubDemo saves realistic batches that share updated_at, and churn updates and deletes', async () => {
    const standIn = await startNangoStandIn({ secretKey: SECRET });
    try {
      const seeded = seedGithubDemo(standIn.store, { recordsPerConnection: 250, seed: 9 });
      assert.deepEqual(seeded.connections, ['acme', 'globex']);
      const rows = standIn.store.snapshot('github', 'acme', 'GithubIssue');
      assert.equal(rows.length, 250);
      assert.equal(new Set(rows.map((r) => r.updatedAt)).size, 3);
      const churn = churnGithubIssues(standIn.store, { connectionId: 'acme' }, { updates: 5, deletes: 3, rng: mulberry32(1) });
      const after = standIn.store.snapshot('github', 'acme', 'GithubIssue');
      const byId = new Map(after.map((r) => [r.id, r]));
      assert.ok(churn.updated.every((id) => byId.get(id)!.lastAction === 'UPDATED'));
      assert.ok(churn.deleted.every((id) => byId.get(id)!.lastAction === 'DELETED' && Object.keys(byId.get(id)!.payload).join() === 'id'));
      const config = standIn.store.listSyncs();
      assert.equal(config[0]?.runs, 'every 5 minutes');
    } finally {
      await standIn.close();
    }
  });
});
