import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';

import { Secret } from '../../src/config/secret.js';
import { createNangoClient, type NangoClient } from '../../src/nango/nango-client.js';
import { openGate } from '../../src/ratelimit/request-gate.js';
import { startNangoStandIn, type NangoStandIn } from '../../stand-in/nango-stand-in.js';

const SECRET = randomUUID();

describe('getSyncStatus against the stand-in', () => {
  let standIn: NangoStandIn;
  let nango: NangoClient;

  before(async () => {
    standIn = await startNangoStandIn({ secretKey: SECRET });
    for (const connectionId of ['c-1', 'c-2']) standIn.store.addConnection({ providerConfigKey: 'crm', connectionId });
    standIn.store.deploySync({ providerConfigKey: 'crm', name: 'items', models: [{ name: 'Item' }] });
    standIn.store.save('crm', 'c-1', 'Item', [{ id: 'a' }, { id: 'b' }]);
    standIn.store.syncVariants.create('crm', 'c-1', 'items', 'v1');
    nango = createNangoClient(
      { fetch, gate: openGate, logger: pino({ level: 'silent' }) },
      { host: standIn.url, secretKey: new Secret(SECRET), requestTimeoutMs: 5_000, retries: 0, retryMinDelayMs: 10, retryMaxDelayMs: 50 },
    );
  });
  after(() => standIn.close());

  it("reads one connection's syncs with connectionId, each variant with Nango's record count of the base model", async () => {
    const items = await nango.getSyncStatus!({ providerConfigKey: 'crm', connectionId: 'c-1' });
    assert.deepEqual(
      items.map((i) => [i.connection_id, i.variant, i.recordCount]),
      [
        ['c-1', 'base', { Item: 2 }],
        ['c-1', 'v1', { Item: 2 }],
      ],
    );
    const sent = standIn.requests.at(-1);
    assert.equal(sent?.query['connection_id'], 'c-1');
  });

  it("without connectionId reads every connection's", async () => {
    const items = await nango.getSyncStatus!({ providerConfigKey: 'crm' });
    assert.deepEqual(
      items.map((i) => `${i.connection_id}/${i.variant}`),
      ['c-1/base', 'c-1/v1', 'c-2/base'],
    );
    assert.equal('connection_id' in (standIn.requests.at(-1)?.query ?? {}), false);
  });
});
