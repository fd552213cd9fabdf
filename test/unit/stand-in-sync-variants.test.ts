import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { startNangoStandIn, type NangoStandIn } from '../../stand-in/nango-stand-in.js';

const SECRET = randomUUID();
const PCK = 'crm';
const schema = { type: 'object', properties: { id: { type: 'string' } } };

describe('sync variants on the stand-in (docs/nango-api.md 10.1, 10.2)', () => {
  let standIn: NangoStandIn;
  const nowMs = Date.UTC(2026, 11, 7, 2, 0, 0);

  before(async () => {
    standIn = await startNangoStandIn({ secretKey: SECRET, now: () => nowMs });
    for (const connectionId of ['p-1', 'p-2']) standIn.store.addConnection({ providerConfigKey: PCK, connectionId });
    standIn.store.deploySync({ providerConfigKey: PCK, name: 'items', models: [{ name: 'Item', jsonSchema: schema }] });
  });
  after(() => standIn.close());

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${standIn.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${SECRET}`, 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: await res.json() };
  }
  const create = (name: string, variant: string, connectionId = 'p-1') =>
    call('POST', `/sync/${name}/variant/${variant}`, { provider_config_key: PCK, connection_id: connectionId });
  const remove = (name: string, variant: string, connectionId = 'p-1') =>
    call('DELETE', `/sync/${name}/variant/${variant}`, { provider_config_key: PCK, connection_id: connectionId });
  const status = (query: string) => call('GET', `/sync/status?provider_config_key=${PCK}&${query}`);
  async function records(variant: string | undefined, connectionId = 'p-1'): Promise<{ status: number; body: any }> {
    const query = variant === undefined ? '' : `&variant=${variant}`;
    const res = await fetch(`${standIn.url}/records?model=Item${query}`, {
      headers: { Authorization: `Bearer ${SECRET}`, 'Connection-Id': connectionId, 'Provider-Config-Key': PCK },
    });
    return { status: res.status, body: await res.json() };
  }

  it('creating a variant answers its id, name and variant, and /sync/status then lists it beside base', async () => {
    const created = await create('items', 'v1');
    assert.equal(created.status, 200);
    assert.deepEqual(Object.keys(created.body), ['id', 'name', 'variant']);
    assert.equal(created.body.name, 'items');
    assert.equal(created.body.variant, 'v1');
    const { body } = await status('syncs=*&connection_id=p-1');
    assert.deepEqual(
      body.syncs.map((s: any) => [s.name, s.variant]),
      [
        ['items', 'base'],
        ['items', 'v1'],
      ],
    );
    assert.equal(body.syncs[1].id, created.body.id);
    assert.notEqual(body.syncs[0].id, body.syncs[1].id);
    await remove('items', 'v1');
  });

  it('refuses an existing variant, base in any case, a bad name, an unknown connection or sync', async () => {
    await create('items', 'dup');
    assert.deepEqual(await create('items', 'dup'), { status: 400, body: { error: { code: 'sync_variant_already_exists' } } });
    for (const base of ['base', 'BASE']) {
      const refused = await create('items', base);
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error.code, 'invalid_variant');
    }
    const badName = await create('it.ems', 'v2');
    assert.equal(badName.status, 400);
    assert.equal(badName.body.error.code, 'invalid_uri_params');
    assert.deepEqual(badName.body.error.errors[0].path, ['name']);
    assert.equal((await create('items', 'v%20x')).body.error.code, 'invalid_uri_params');
    assert.deepEqual(await create('items', 'v2', 'nobody'), { status: 400, body: { error: { code: 'unknown_connection' } } });
    assert.deepEqual(await create('tickets', 'v2'), { status: 400, body: { error: { code: 'unknown_sync' } } });
    const noBody = await call('POST', '/sync/items/variant/v2', { provider_config_key: PCK });
    assert.equal(noBody.body.error.code, 'invalid_body');
    const withQuery = await call('POST', '/sync/items/variant/v2?x=1', { provider_config_key: PCK, connection_id: 'p-1' });
    assert.equal(withQuery.body.error.code, 'invalid_query_params');
    await remove('items', 'dup');
  });

  it('allows 100 variants of a sync on a connection, and refuses the 101st', async () => {
    for (let i = 0; i < 100; i += 1) assert.equal((await create('items', `cap${i}`, 'p-2')).status, 200, `variant ${i}`);
    const capped = await create('items', 'cap100', 'p-2');
    assert.equal(capped.status, 400);
    assert.equal(capped.body.error.code, 'resource_capped');
    assert.equal((await create('items', 'cap100', 'p-1')).status, 200, 'the cap is per connection');
    for (let i = 0; i < 100; i += 1) await remove('items', `cap${i}`, 'p-2');
    await remove('items', 'cap100', 'p-1');
  });

  it('the same ids in base and two variants are three records, each read with its variant only', async () => {
    await create('items', 'va');
    await create('items', 'vb');
    standIn.store.save(PCK, 'p-1', 'Item', [{ id: 'x', from: 'base' }]);
    standIn.store.save(PCK, 'p-1', 'Item::va', [
      { id: 'x', from: 'va' },
      { id: 'y', from: 'va' },
    ]);
    standIn.store.save(PCK, 'p-1', 'Item::vb', [{ id: 'x', from: 'vb' }]);
    const base = await records(undefined);
    const explicitBase = await records('base');
    const va = await records('va');
    const vb = await records('vb');
    assert.deepEqual(base.body, explicitBase.body);
    assert.deepEqual(
      base.body.records.map((r: any) => [r.id, r.from]),
      [['x', 'base']],
    );
    assert.deepEqual(va.body.records.map((r: any) => [r.id, r.from]).sort(), [
      ['x', 'va'],
      ['y', 'va'],
    ]);
    assert.deepEqual(
      vb.body.records.map((r: any) => [r.id, r.from]),
      [['x', 'vb']],
    );
    const cursorOf = (body: any) => Buffer.from(body.records.find((r: any) => r.id === 'x')._nango_metadata.cursor, 'base64').toString();
    const uuids = [base, va, vb].map((r) => cursorOf(r.body).split('||')[1]);
    assert.equal(new Set(uuids).size, 3, 'the stable uuid is seeded with Model::variant');
  });

  it('an unknown variant reads as an empty stream, not an error', async () => {
    assert.deepEqual(await records('never-created'), { status: 200, body: { next_cursor: null, records: [] } });
  });

  it("every variant's recordCount is the base model's, keyed by the base name; job keys follow each variant's own jobs", async () => {
    standIn.store.syncJobs.finish(PCK, 'p-1', 'items::va', nowMs, { latestResult: { Item: { added: 2, updated: 0, deleted: 0 } } });
    const { body } = await status('syncs=*&connection_id=p-1');
    const byVariant = new Map(body.syncs.map((s: any) => [s.variant, s]));
    assert.deepEqual([...byVariant.keys()], ['base', 'va', 'vb']);
    for (const item of byVariant.values()) assert.deepEqual((item as any).recordCount, { Item: 1 });
    const va = byVariant.get('va') as any;
    assert.equal(va.status, 'SUCCESS');
    assert.equal(va.finishedAt, '2026-12-07T02:00:00.000Z');
    assert.deepEqual(va.latestResult, { Item: { added: 2, updated: 0, deleted: 0 } });
    for (const key of ['finishedAt', 'latestResult', 'latestExecutionStatus', 'type']) {
      assert.equal(key in (byVariant.get('vb') as any), false, `vb never had a job: no ${key}`);
    }
  });

  it('syncs=name is the base variant only and syncs=name::variant that variant', async () => {
    const base = await status('syncs=items&connection_id=p-1');
    assert.deepEqual(
      base.body.syncs.map((s: any) => s.variant),
      ['base'],
    );
    const one = await status('syncs=items::vb');
    assert.deepEqual(
      one.body.syncs.map((s: any) => [s.connection_id, s.variant]),
      [['p-1', 'vb']],
    );
    const both = await status('syncs=items,items::va&connection_id=p-1');
    assert.deepEqual(
      both.body.syncs.map((s: any) => s.variant),
      ['base', 'va'],
    );
  });

  it("without connection_id every connection's syncs and variants come in one answer", async () => {
    await create('items', 'other', 'p-2');
    const { body } = await status('syncs=*');
    assert.deepEqual(
      body.syncs.map((s: any) => `${s.connection_id}/${s.variant}`),
      ['p-1/base', 'p-1/va', 'p-1/vb', 'p-2/base', 'p-2/other'],
    );
    await remove('items', 'other', 'p-2');
  });

  it("a missing schedule of a variant makes the integration's answer a 500", async () => {
    standIn.store.syncJobs.setScheduleMissing(PCK, 'p-1', 'items::vb');
    assert.equal((await status('syncs=*')).status, 500);
    assert.equal((await status('syncs=items&connection_id=p-1')).status, 200, 'the base alone still answers');
    standIn.store.syncJobs.setScheduleMissing(PCK, 'p-1', 'items::vb', false);
  });

  it('deleting a variant removes it from /sync/status while its records stay readable, without tombstones', async () => {
    const before = await records('vb');
    assert.deepEqual(await remove('items', 'vb'), { status: 200, body: { success: true } });
    const { body } = await status('syncs=*&connection_id=p-1');
    assert.deepEqual(
      body.syncs.map((s: any) => s.variant),
      ['base', 'va'],
    );
    const afterDelete = await records('vb');
    assert.deepEqual(afterDelete, before);
    assert.ok(afterDelete.body.records.every((r: any) => r._nango_metadata.deleted_at === null));
    assert.deepEqual(await remove('items', 'vb'), { status: 404, body: { error: { code: 'not_found' } } });
    const baseRefused = await remove('items', 'base');
    assert.deepEqual(baseRefused.body.error, { code: 'invalid_variant', message: 'Cannot delete protected variant "base".' });
    assert.deepEqual(await remove('items', 'va', 'nobody'), { status: 400, body: { error: { code: 'unknown_connection' } } });
  });
});
