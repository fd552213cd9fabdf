import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { startNangoStandIn, type NangoStandIn } from '../../stand-in/nango-stand-in.js';

const SECRET = randomUUID();
const schema = { type: 'object', properties: { id: { type: 'string' } } };

describe('GET /sync/status on the stand-in (docs/nango-api.md 10.1)', () => {
  let standIn: NangoStandIn;
  const nowMs = Date.UTC(2026, 11, 6, 19, 43, 32);

  before(async () => {
    standIn = await startNangoStandIn({ secretKey: SECRET, now: () => nowMs });
    for (const connectionId of ['p-1', 'p-2']) standIn.store.addConnection({ providerConfigKey: 'crm', connectionId });
    standIn.store.addConnection({ providerConfigKey: 'other', connectionId: 'o-1' });
    standIn.store.deploySync({
      providerConfigKey: 'crm',
      name: 'items',
      models: [{ name: 'Item', jsonSchema: schema }],
      runs: 'every day',
    });
    standIn.store.save('crm', 'p-1', 'Item', [{ id: 'a' }, { id: 'b' }]);
    standIn.store.syncJobs.finish('crm', 'p-1', 'items', nowMs, { latestResult: { Item: { added: 2, updated: 0, deleted: 0 } } });
    standIn.store.syncJobs.start('crm', 'p-2', 'items', nowMs);
  });
  after(() => standIn.close());

  async function get(query: string): Promise<{ status: number; body: any }> {
    const res = await fetch(`${standIn.url}/sync/status?${query}`, { headers: { Authorization: `Bearer ${SECRET}` } });
    return { status: res.status, body: await res.json() };
  }

  it("without connection_id answers every connection's syncs in one response, latest job only", async () => {
    const { status, body } = await get('provider_config_key=crm&syncs=*');
    assert.equal(status, 200);
    const [done, running] = body.syncs;
    assert.deepEqual(body.syncs.map((s: any) => s.connection_id).sort(), ['p-1', 'p-2']);
    assert.equal(done.status, 'SUCCESS');
    assert.equal(done.finishedAt, '2026-12-06T19:43:32.000Z');
    assert.deepEqual(done.latestResult, { Item: { added: 2, updated: 0, deleted: 0 } });
    assert.deepEqual(done.recordCount, { Item: 2 });
    assert.equal(done.variant, 'base');
    assert.equal(done.frequency, 'every day');
    assert.equal(running.status, 'RUNNING');
    assert.equal(running.latestExecutionStatus, 'RUNNING');
    assert.equal('finishedAt' in running, false, 'no finishedAt while running');
  });

  it("with connection_id answers that connection's; a sync that never had a job lacks the job keys", async () => {
    standIn.store.addConnection({ providerConfigKey: 'crm', connectionId: 'p-3' });
    const { status, body } = await get('provider_config_key=crm&syncs=items&connection_id=p-3');
    assert.equal(status, 200);
    assert.equal(body.syncs.length, 1);
    for (const key of ['finishedAt', 'latestResult', 'latestExecutionStatus', 'type']) assert.equal(key in body.syncs[0], false, key);
  });

  it('an unknown connection is a 400 "Connection not found"', async () => {
    const { status, body } = await get('provider_config_key=crm&syncs=*&connection_id=nobody');
    assert.equal(status, 400);
    assert.deepEqual(body.error, { code: 'invalid_body', message: 'Connection not found' });
  });

  it("one connection's missing schedule makes the whole integration's answer a 500, not that connection's alone", async () => {
    standIn.store.syncJobs.setScheduleMissing('crm', 'p-2', 'items');
    const whole = await get('provider_config_key=crm&syncs=*');
    assert.equal(whole.status, 500);
    assert.equal(whole.body.error.code, 'generic_error_support');
    assert.equal((await get('provider_config_key=crm&syncs=*&connection_id=p-1')).status, 200);
    standIn.store.syncJobs.setScheduleMissing('crm', 'p-2', 'items', false);
    assert.equal((await get('provider_config_key=crm&syncs=*')).status, 200);
  });
});
