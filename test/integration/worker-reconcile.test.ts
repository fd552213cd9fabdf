import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { StreamRule } from '../../src/config/replicator-config.js';
import { SYNC_QUEUE } from '../../src/jobs/queue/queue-names.js';
import { reconcileSchedules, type ReconcileOptions } from '../../src/jobs/discovery/reconcile-schedules.js';
import { streamSchedulerId } from '../../src/stream/stream-ids.js';
import { syncJobOptions } from '../../src/jobs/sync/sync-job-options.js';
import type { NangoConnection } from '../../src/nango/list-connections.js';
import type { NangoClient } from '../../src/nango/nango-client.js';
import { createScriptsConfigCache } from '../../src/nango/scripts-config-cache.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { REDIS_URL } from '../helpers/worker-fleet.js';

const PREFIX = `test-reconcile-${randomBytes(4).toString('hex')}`;
const CONNECTIONS = 2000;
const scriptsConfig = [
  {
    providerConfigKey: 'helpdesk',
    provider: 'zendesk',
    syncs: [
      { name: 'tickets', returns: ['Ticket'], runs: 'every half hour' },
      { name: 'escalations', returns: ['Escalation'], runs: 'every hour' },
      { name: 'urgent', returns: ['Escalation'], runs: 'every 5 minutes' },
    ],
  },
];

/** Nango as far as discovery asks it: connections and /scripts/config, counting the calls. */
function fakeNango(connections: () => NangoConnection[]) {
  const calls = { listConnections: [] as Array<ReadonlyArray<string> | undefined>, getScriptsConfig: 0, fail: false };
  const nango: NangoClient = {
    listRecords: () => {
      throw new Error('not used');
    },
    getScriptsConfig: async () => {
      calls.getScriptsConfig += 1;
      return scriptsConfig;
    },
    listConnections: async (params) => {
      calls.listConnections.push(params?.integrationIds);
      if (calls.fail) throw new Error('Nango is down');
      return connections();
    },
  };
  return { nango, calls };
}

describe('discovery keeps one job scheduler per stream', () => {
  let redis: Redis;
  let queue: Queue;
  let live: NangoConnection[];
  const { nango, calls } = fakeNango(() => live);
  const { logger } = captureLogger('warn');
  const rules: StreamRule[] = [{ integration: 'helpdesk', models: '*', connections: '*', everyMs: undefined }];
  const reconcile = (overrides: Partial<ReconcileOptions> = {}) =>
    reconcileSchedules(
      { nango, scriptsConfig: createScriptsConfigCache({ nango }, { maxAgeMs: 60_000 }), queue, logger },
      { rules, jobOptions: syncJobOptions({ attempts: 5, backoffMs: 1000 }), ...overrides },
    );
  const connection = (n: number): NangoConnection => ({
    connection_id: `tenant-${n}`,
    provider_config_key: 'helpdesk',
    provider: 'zendesk',
  });
  const count = () => queue.getJobSchedulersCount();

  before(() => {
    redis = new Redis(REDIS_URL);
    queue = new Queue(SYNC_QUEUE, { connection: { url: REDIS_URL }, prefix: PREFIX });
    live = Array.from({ length: CONNECTIONS }, (_, n) => connection(n));
  });
  after(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    const keys = await redis.keys(`${PREFIX}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });
  beforeEach(() => {
    calls.fail = false;
  });

  test("2,000 connections and two models become 4,000 schedulers in one pass, each at its sync's own frequency", async () => {
    const summary = await reconcile();
    assert.deepEqual(
      { ...summary, notes: [] },
      { desired: 4000, added: 4000, updated: 0, removed: 0, unchanged: 0, repaired: 0, notes: [] },
    );
    assert.equal(await count(), 4000);
    const ticket = await queue.getJobScheduler(
      streamSchedulerId({ providerConfigKey: 'helpdesk', connectionId: 'tenant-7', model: 'Ticket', variant: 'base' }),
    );
    assert.equal(ticket?.every, 30 * 60_000);
    assert.deepEqual(ticket?.template?.data, {
      providerConfigKey: 'helpdesk',
      connectionId: 'tenant-7',
      model: 'Ticket',
      trigger: 'schedule',
      everyMs: 1_800_000,
      safetyNetMs: 6 * 3_600_000,
    });
    const escalation = await queue.getJobScheduler('sync/helpdesk/tenant-7/Escalation');
    assert.equal(escalation?.every, 5 * 60_000, 'the shortest frequency among the syncs returning the model');
    assert.deepEqual(calls.listConnections.at(-1), ['helpdesk'], 'connections of the configured integrations only');
  });

  test('a pass with nothing changed writes nothing', async () => {
    const summary = await reconcile();
    assert.equal(summary.unchanged, 4000);
    assert.equal(summary.added + summary.updated + summary.removed, 0);
  });

  test('a changed `every` updates every scheduler of the rule', async () => {
    const summary = await reconcile({ rules: [{ ...rules[0]!, everyMs: 120_000 }] });
    assert.equal(summary.updated, 4000);
    assert.equal((await queue.getJobScheduler('sync/helpdesk/tenant-9/Ticket'))?.every, 120_000);
    assert.equal(await count(), 4000, 'updated in place, none added');
  });

  test('connections that disappear lose their schedulers; schedulers others added to the queue are left alone', async () => {
    await queue.upsertJobScheduler('nightly-report', { every: 86_400_000 }, { name: 'report' });
    live = live.slice(500);
    const summary = await reconcile();
    assert.equal(summary.removed, 1000);
    assert.equal(await queue.getJobScheduler('sync/helpdesk/tenant-3/Ticket'), undefined);
    assert.ok(await queue.getJobScheduler('sync/helpdesk/tenant-600/Ticket'));
    assert.ok(await queue.getJobScheduler('nightly-report'));
    assert.equal(await count(), 3001);
  });

  test('when Nango cannot be read, the schedules stay as they were', async () => {
    calls.fail = true;
    await assert.rejects(reconcile(), /Nango is down/);
    assert.equal(await count(), 3001);
  });

  test('explicit lists are followed as written; a model no sync declares is synced hourly, and said so', async () => {
    const summary = await reconcile({
      rules: [{ integration: 'helpdesk', models: ['Ticket', 'Invoice'], connections: ['tenant-1000', 'not-in-nango'], everyMs: undefined }],
    });
    assert.equal(summary.desired, 4);
    assert.equal(await count(), 5);
    assert.equal((await queue.getJobScheduler('sync/helpdesk/not-in-nango/Invoice'))?.every, 3_600_000);
    assert.match(summary.notes.join('\n'), /no sync of "helpdesk" declares a frequency for Invoice/);
  });

  test('scheduler ids are deterministic and safe for any name', () => {
    const id = streamSchedulerId({ providerConfigKey: 'git:hub/prod', connectionId: 'a/b c', model: 'Issue:v2', variant: 'base' });
    assert.equal(id, 'sync/git%3Ahub%2Fprod/a%2Fb%20c/Issue%3Av2');
    assert.equal(id.includes(':'), false);
  });
});
