import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { makeTicket, ticketJsonSchema } from '../helpers/ticket-model.js';
import { baseConfig, createWorkerFleet, waitUntil, type WorkerFleet } from '../helpers/worker-fleet.js';

describe('a worker keeps _nango_connections', () => {
  let f: WorkerFleet;
  before(async () => {
    f = await createWorkerFleet('worker_connections');
  });
  after(() => f.close());

  const connection = async (connectionId: string) => {
    const { rows } = await sql<{ tags: Record<string, string>; metadata: Record<string, unknown> | null; deleted_at: Date | null }>`
      SELECT tags, metadata, deleted_at FROM nango._nango_connections
      WHERE provider_config_key = 'helpdesk' AND connection_id = ${connectionId}`.execute(f.db);
    assert.ok(rows[0], `a row for ${connectionId}`);
    return rows[0];
  };

  test('it lists connections with their tags, follows metadata, and soft-deletes the rows of a deleted connection', async () => {
    f.standIn.store.addConnection({ providerConfigKey: 'helpdesk', connectionId: 'acme', tags: { end_user_id: 'u-1' } });
    f.standIn.store.addConnection({ providerConfigKey: 'helpdesk', connectionId: 'globex', tags: { end_user_id: 'u-2' } });
    f.standIn.store.deploySync({
      providerConfigKey: 'helpdesk',
      name: 'tickets',
      models: [{ name: 'Ticket', jsonSchema: ticketJsonSchema }],
    });
    for (const id of ['acme', 'globex']) f.standIn.store.save('helpdesk', id, 'Ticket', [makeTicket(1), makeTicket(2)]);
    f.writeConfig(
      `${baseConfig(f)}target:\n  onConnectionDeleted: soft-delete\nstreams:\n  - integration: helpdesk\n    models: [Ticket]\n    every: 1h\n`,
    );
    const worker = f.spawnWorker();

    await waitUntil(async () => assert.deepEqual((await connection('acme')).tags, { end_user_id: 'u-1' }));
    await waitUntil(async () => assert.equal((await f.rows('ticket', 'acme')).size, 2));
    f.standIn.store.setConnectionMetadata('helpdesk', ['acme'], { plan: 'pro' }, 'replace');
    await waitUntil(async () => assert.deepEqual((await connection('acme')).metadata, { plan: 'pro' }));

    f.standIn.store.removeConnection('helpdesk', 'acme');
    await waitUntil(async () => assert.ok((await connection('acme')).deleted_at instanceof Date));
    const acme = [...(await f.rows('ticket', 'acme')).values()];
    assert.equal(acme.length, 2, 'its rows stay in the table');
    assert.ok(
      acme.every((r) => r._nango_deleted_at instanceof Date),
      'soft-deleted',
    );
    assert.ok(
      [...(await f.rows('ticket', 'globex')).values()].every((r) => r._nango_deleted_at === null),
      'the other connection untouched',
    );
    assert.equal(await f.queue.getJobScheduler('sync/helpdesk/acme/Ticket'), undefined, 'its scheduler stopped');
    assert.ok(await f.queue.getJobScheduler('sync/helpdesk/globex/Ticket'));
    await worker.waitForLog(
      /connection deleted in Nango \(missing from two listings in a row\): its streams stop and its rows are soft-deleted/,
    );

    worker.child.kill('SIGINT');
    assert.equal((await worker.done).code, 0);
  });
});
