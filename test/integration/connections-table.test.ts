import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Queue } from 'bullmq';
import { sql } from 'kysely';
import type { StreamRule } from '../../src/config/replicator-config.js';
import { SYNC_QUEUE } from '../../src/jobs/queue/queue-names.js';
import { reconcileSchedules, type ReconcileSummary } from '../../src/jobs/discovery/reconcile-schedules.js';
import { streamSchedulerId } from '../../src/stream/stream-ids.js';
import { syncJobOptions } from '../../src/jobs/sync/sync-job-options.js';
import { createScriptsConfigCache } from '../../src/nango/scripts-config-cache.js';
import { refreshConnectionsTable } from '../../src/store/refresh-connections-table.js';
import { createReplicationFixture, type ReplicationFixture, TEST_SECRET_KEY, TICKETS } from '../helpers/replication-fixture.js';
import { REDIS_URL, useRedisTestPrefix } from '../helpers/redis-test-prefix.js';
import { makeTicket } from '../helpers/ticket-model.js';

interface ConnectionRow {
  provider_config_key: string;
  connection_id: string;
  provider: string | null;
  tags: Record<string, string> | null;
  metadata: Record<string, unknown> | null;
  end_user: Record<string, unknown> | null;
  errors: unknown[] | null;
  created: Date | null;
  first_seen_at: Date;
  last_seen_at: Date;
  missing_since: Date | null;
  deleted_at: Date | null;
  /** The row version: unchanged unless the row was written. */
  xmin: string;
}

const HELPDESK_RULES: StreamRule[] = [{ integration: 'helpdesk', models: ['Ticket'], connections: '*', everyMs: 60_000 }];

describe('the _nango_connections table, refreshed by discovery', () => {
  const { prefix } = useRedisTestPrefix('connections_table');
  let f: ReplicationFixture;
  let queue: Queue;
  before(async () => {
    f = await createReplicationFixture('connections_table');
    queue = new Queue(SYNC_QUEUE, { connection: { url: REDIS_URL }, prefix: prefix.slice(0, -1) });
  });
  after(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    await f.close();
  });

  const discover = (rules = HELPDESK_RULES, onConnectionDeleted: 'keep' | 'soft-delete' = 'keep'): Promise<ReconcileSummary> =>
    reconcileSchedules(
      {
        nango: f.nango,
        scriptsConfig: createScriptsConfigCache({ nango: f.nango }, { maxAgeMs: 60_000 }),
        queue,
        logger: f.logger,
        trackConnections: (connections, integrations) =>
          refreshConnectionsTable({ db: f.db, logger: f.logger }, { schema: 'nango', integrations, connections, onConnectionDeleted }),
      },
      { rules, jobOptions: syncJobOptions({ attempts: 5, backoffMs: 1000 }) },
    );
  const rows = async (integration = 'helpdesk'): Promise<Map<string, ConnectionRow>> => {
    const { rows: found } = await sql<ConnectionRow>`
      SELECT *, xmin::text AS xmin FROM nango._nango_connections WHERE provider_config_key = ${integration}`.execute(f.db);
    return new Map(found.map((r) => [r.connection_id, r]));
  };
  const row = async (connectionId: string, integration = 'helpdesk') => {
    const found = (await rows(integration)).get(connectionId);
    assert.ok(found, `a row for ${integration}/${connectionId}`);
    return found;
  };
  const scheduled = async (connectionId: string, model = 'Ticket', integration = 'helpdesk') =>
    (await queue.getJobScheduler(streamSchedulerId({ providerConfigKey: integration, connectionId, model, variant: 'base' }))) !==
    undefined;
  const setMetadata = async (method: 'POST' | 'PATCH', connectionId: string, metadata: Record<string, unknown>) => {
    const response = await fetch(`${f.standIn.url}/connections/metadata`, {
      method,
      headers: { authorization: `Bearer ${TEST_SECRET_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ connection_id: connectionId, provider_config_key: 'helpdesk', metadata }),
    });
    assert.equal(response.status, method === 'POST' ? 201 : 200, await response.text());
  };
  const ticketRows = async (connectionId: string) => {
    const { rows: found } = await sql<{ id: string; _nango_deleted_at: Date | null }>`
      SELECT id, _nango_deleted_at FROM nango.ticket WHERE _nango_connection_id = ${connectionId} ORDER BY id`.execute(f.db);
    return found;
  };

  test('each connection gets a row with its tags, metadata, end user, errors and creation time as Nango lists them', async () => {
    f.standIn.store.addConnection({
      providerConfigKey: 'helpdesk',
      connectionId: 'globex',
      tags: { customer: 'globex', END_USER_ID: 'u-42' },
      metadata: { region: 'eu', seats: 12 },
      endUser: { id: 'u-42', displayName: 'Ann', email: 'ann@globex.example' },
      errors: [{ type: 'auth', log_id: 'log-1' }],
    });
    const summary = await discover();
    assert.deepEqual(summary.connections, { added: 2, updated: 0, missing: 0, deleted: 0 });
    const globex = await row('globex');
    assert.deepEqual(globex.tags, { customer: 'globex', end_user_id: 'u-42' });
    assert.deepEqual(globex.metadata, { region: 'eu', seats: 12 });
    assert.deepEqual(globex.end_user, { id: 'u-42', display_name: 'Ann', email: 'ann@globex.example', tags: null, organization: null });
    assert.deepEqual(globex.errors, [{ type: 'auth', log_id: 'log-1' }]);
    assert.equal(globex.provider, 'helpdesk');
    assert.ok(globex.created instanceof Date);
    assert.equal(globex.deleted_at, null);
    assert.equal((await row('acme')).metadata, null, 'no metadata is NULL');
    assert.ok((await scheduled('globex')) && (await scheduled('acme')));
  });

  test('a listing with nothing changed rewrites no row', async () => {
    const before = await rows();
    const summary = await discover();
    assert.deepEqual(summary.connections, { added: 0, updated: 0, missing: 0, deleted: 0 });
    const now = await rows();
    for (const [id, r] of before) assert.equal(now.get(id)?.xmin, r.xmin, `${id} not rewritten`);
  });

  test('metadata set and updated through the API (which moves no updated_at in Nango) and changed tags reach the row', async () => {
    const before = await rows();
    await setMetadata('POST', 'acme', { plan: 'pro', owner: 'kim' });
    let summary = await discover();
    assert.deepEqual(summary.connections, { added: 0, updated: 1, missing: 0, deleted: 0 });
    assert.deepEqual((await row('acme')).metadata, { plan: 'pro', owner: 'kim' });
    assert.equal((await row('globex')).xmin, before.get('globex')?.xmin, 'the unchanged connection is not rewritten');

    await setMetadata('PATCH', 'acme', { plan: 'enterprise' });
    f.standIn.store.updateConnection('helpdesk', 'globex', { tags: { customer: 'globex', tier: 'gold' } });
    summary = await discover();
    assert.deepEqual(summary.connections, { added: 0, updated: 2, missing: 0, deleted: 0 });
    assert.deepEqual((await row('acme')).metadata, { plan: 'enterprise', owner: 'kim' }, 'PATCH merges');
    assert.deepEqual((await row('globex')).tags, { customer: 'globex', tier: 'gold' });
  });

  test('a connection deleted in Nango: still followed after one listing; after two its schedulers stop, deleted_at is set, its rows stay', async () => {
    f.standIn.store.save('helpdesk', 'acme', 'Ticket', [makeTicket(1), makeTicket(2)]);
    await f.sync();
    f.standIn.store.removeConnection('helpdesk', 'acme');

    let summary = await discover();
    assert.deepEqual(summary.connections, { added: 0, updated: 0, missing: 1, deleted: 0 });
    assert.ok(await scheduled('acme'), 'missing from one listing is not yet gone');
    assert.equal((await row('acme')).deleted_at, null);
    assert.ok((await row('acme')).missing_since instanceof Date);

    summary = await discover();
    assert.deepEqual(summary.connections, { added: 0, updated: 0, missing: 0, deleted: 1 });
    assert.equal(summary.removed, 1);
    assert.equal(await scheduled('acme'), false, 'its scheduler stopped');
    assert.ok(await scheduled('globex'), 'the other connection is still followed');
    const acme = await row('acme');
    assert.ok(acme.deleted_at instanceof Date);
    assert.deepEqual(acme.metadata, { plan: 'enterprise', owner: 'kim' }, 'the last known values stay');
    assert.deepEqual(
      await ticketRows('acme'),
      [
        { id: 'T-1', _nango_deleted_at: null },
        { id: 'T-2', _nango_deleted_at: null },
      ],
      'onConnectionDeleted: keep leaves its rows as they were',
    );

    summary = await discover();
    assert.deepEqual(summary.connections, { added: 0, updated: 0, missing: 0, deleted: 0 }, 'found deleted once');
    assert.equal(await scheduled('acme'), false);
  });

  test("with onConnectionDeleted: soft-delete, a deleted connection's rows are soft-deleted, and only its", async () => {
    f.standIn.store.addConnection({ providerConfigKey: 'helpdesk', connectionId: 'initech' });
    f.standIn.store.save('helpdesk', 'initech', 'Ticket', [makeTicket(3), makeTicket(4)]);
    await f.sync({ stream: { ...TICKETS, connectionId: 'initech' } });
    await discover(HELPDESK_RULES, 'soft-delete');
    f.standIn.store.removeConnection('helpdesk', 'initech');
    await discover(HELPDESK_RULES, 'soft-delete');
    assert.ok(
      (await ticketRows('initech')).every((r) => r._nango_deleted_at === null),
      'not after one listing',
    );

    const summary = await discover(HELPDESK_RULES, 'soft-delete');
    assert.deepEqual(summary.connections?.deleted, 1);
    assert.ok((await row('initech')).deleted_at instanceof Date);
    const initech = await ticketRows('initech');
    assert.equal(initech.length, 2, 'the rows stay in the table');
    assert.ok(
      initech.every((r) => r._nango_deleted_at instanceof Date),
      'marked deleted',
    );
    assert.ok(
      (await ticketRows('acme')).every((r) => r._nango_deleted_at === null),
      'the connection deleted under keep is untouched',
    );
    assert.equal(await scheduled('initech'), false);
  });

  test('a connection skipped by a listing (another one deleted while it paged) stays followed and is not marked deleted', async () => {
    const crm: StreamRule[] = [{ integration: 'crm', models: ['Contact'], connections: '*', everyMs: 60_000 }];
    // 2,001 connections: two pages of GET /connections (2,000 a page), newest first, so c-0 is alone on page 1.
    for (let n = 0; n <= 2000; n++) f.standIn.store.addConnection({ providerConfigKey: 'crm', connectionId: `c-${n}` });
    await discover(crm);
    assert.equal((await rows('crm')).size, 2001);

    // While page 1 is held, the newest connection is deleted: every later one shifts one place up, and c-0 (the first
    // of page 1) now sits on page 0, already read. The listing ends without it.
    const held = f.standIn.faults.holdNext({ pathPrefix: '/connections', query: { page: '1' } });
    const pass = discover(crm);
    await held.reached;
    f.standIn.store.removeConnection('crm', 'c-2000');
    held.release();
    const summary = await pass;
    // c-2000 was on page 0, read before its deletion: this listing saw it.
    assert.deepEqual(summary.connections, { added: 0, updated: 0, missing: 1, deleted: 0 }, 'c-0 missed once');
    assert.ok(await scheduled('c-0', 'Contact', 'crm'), 'the skipped connection keeps its scheduler');
    assert.equal((await row('c-0', 'crm')).deleted_at, null);

    const next = await discover(crm);
    assert.deepEqual(next.connections, { added: 0, updated: 1, missing: 1, deleted: 0 }, 'c-0 is back, c-2000 missed once');
    const c0 = await row('c-0', 'crm');
    assert.equal(c0.missing_since, null);
    assert.equal(c0.deleted_at, null);
    assert.ok(await scheduled('c-0', 'Contact', 'crm'));

    const third = await discover(crm);
    assert.deepEqual(third.connections, { added: 0, updated: 0, missing: 0, deleted: 1 }, 'c-2000 missed twice in a row');
    assert.ok((await row('c-2000', 'crm')).deleted_at instanceof Date);
    assert.equal(await scheduled('c-2000', 'Contact', 'crm'), false);
  });
});
