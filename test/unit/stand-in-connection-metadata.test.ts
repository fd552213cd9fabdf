import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { startNangoStandIn, type NangoStandIn } from '../../stand-in/nango-stand-in.js';

const SECRET = randomUUID();

describe('stand-in connection listing and metadata (docs/nango-api.md 3.1, REFERENCE 3.3 and 10.3)', () => {
  let standIn: NangoStandIn;
  before(async () => {
    standIn = await startNangoStandIn({ secretKey: SECRET });
    standIn.store.addConnection({ providerConfigKey: 'crm', connectionId: 'a', metadata: { keep: 1 } });
    standIn.store.addConnection({
      providerConfigKey: 'crm',
      connectionId: 'b',
      tags: { Customer: 'acme' },
      endUser: { id: 'u-1', email: 'ann@acme.example' },
      errors: [{ type: 'sync', log_id: 'l-1' }],
    });
  });
  after(() => standIn.close());

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${standIn.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const listed = async () =>
    new Map(((await call('GET', '/connections?limit=10')).body.connections as any[]).map((c) => [c.connection_id as string, c]));

  it('lists newest first with tags (keys lower-case), metadata (null when empty), end_user and errors', async () => {
    const { body } = await call('GET', '/connections?limit=1&page=0');
    assert.deepEqual(
      body.connections.map((c: any) => c.connection_id),
      ['b'],
      'newest first',
    );
    const b = (await listed()).get('b');
    assert.deepEqual(b.tags, { customer: 'acme' });
    assert.equal(b.metadata, null);
    assert.deepEqual(b.end_user, { id: 'u-1', display_name: null, email: 'ann@acme.example', tags: null, organization: null });
    assert.deepEqual(b.errors, [{ type: 'sync', log_id: 'l-1' }]);
  });

  it('POST replaces metadata (201), PATCH merges shallowly (200); both echo the body', async () => {
    const post = await call('POST', '/connections/metadata', { connection_id: 'a', provider_config_key: 'crm', metadata: { plan: 'pro' } });
    assert.equal(post.status, 201);
    assert.deepEqual(post.body, { connection_id: 'a', provider_config_key: 'crm', metadata: { plan: 'pro' } });
    assert.deepEqual((await listed()).get('a').metadata, { plan: 'pro' });
    const patch = await call('PATCH', '/connection/metadata', {
      connection_id: ['a', 'b'],
      provider_config_key: 'crm',
      metadata: { seats: 3 },
    });
    assert.equal(patch.status, 200);
    assert.deepEqual((await listed()).get('a').metadata, { plan: 'pro', seats: 3 });
    assert.deepEqual((await listed()).get('b').metadata, { seats: 3 });
  });

  it('an unknown connection is a 404 and, in a list, changes nothing; a query string or a bad body is a 400', async () => {
    const unknown = await call('POST', '/connections/metadata', { connection_id: ['a', 'zz'], provider_config_key: 'crm', metadata: {} });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'unknown_connection');
    assert.match(unknown.body.error.message, /connection id zz .*No actions were taken/);
    assert.deepEqual((await listed()).get('a').metadata, { plan: 'pro', seats: 3 });
    const query = await call('POST', '/connections/metadata?x=1', { connection_id: 'a', provider_config_key: 'crm', metadata: {} });
    assert.equal(query.status, 400);
    const bad = await call('PATCH', '/connections/metadata', { connection_id: 'a', provider_config_key: 'crm', metadata: {}, extra: 1 });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'invalid_body');
  });

  it('holds a request until released, so a test can change the data between two pages', async () => {
    const held = standIn.faults.holdNext({ pathPrefix: '/connections', query: { page: '1' } });
    const first = await call('GET', '/connections?limit=1&page=0');
    assert.equal(first.status, 200, 'another page is not held');
    const second = call('GET', '/connections?limit=1&page=1');
    await held.reached;
    standIn.store.removeConnection('crm', 'b');
    held.release();
    assert.deepEqual((await second).body.connections, [], 'b gone: a moved to page 0, page 1 is empty (a was skipped)');
  });
});
