import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Queue } from 'bullmq';
import { sql } from 'kysely';
import type { StreamRule } from '../../src/config/replicator-config.js';
import { followAnnouncedVariant } from '../../src/jobs/discovery/follow-announced-variant.js';
import { reconcileSchedules, type ReconcileSummary } from '../../src/jobs/discovery/reconcile-schedules.js';
import { schedulerOffsetMs } from '../../src/jobs/discovery/scheduler-offset.js';
import { recordVariantListing } from '../../src/jobs/discovery/start-variant-lookup.js';
import { listBackfillStreams } from '../../src/jobs/backfill/list-backfill-streams.js';
import { SYNC_QUEUE } from '../../src/jobs/queue/queue-names.js';
import { syncJobOptions } from '../../src/jobs/sync/sync-job-options.js';
import { createScriptsConfigCache } from '../../src/nango/scripts-config-cache.js';
import { listKnownVariants } from '../../src/store/list-known-variants.js';
import { listStreamStatus } from '../../src/store/list-stream-status.js';
import { summarizeStreams } from '../../src/store/summarize-streams.js';
import { streamSchedulerId } from '../../src/stream/stream-ids.js';
import { createReplicationFixture, type ReplicationFixture, TICKETS } from '../helpers/replication-fixture.js';
import { REDIS_URL, useRedisTestPrefix } from '../helpers/redis-test-prefix.js';
import { makeTicket } from '../helpers/ticket-model.js';

const ALL_VARIANTS: StreamRule[] = [{ integration: 'helpdesk', models: ['Ticket'], connections: '*', everyMs: 60_000 }];
const variant = (name: string) => ({ ...TICKETS, variant: name });

describe('sync variants are discovered, followed and let go', () => {
  const { prefix } = useRedisTestPrefix('variants_discovery');
  let f: ReplicationFixture;
  let queue: Queue;
  before(async () => {
    f = await createReplicationFixture('variants_discovery');
    queue = new Queue(SYNC_QUEUE, { connection: { url: REDIS_URL }, prefix: prefix.slice(0, -1) });
  });
  after(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    await f.close();
  });

  /** One lookup of the integration's variants (GET /sync/status), as the worker's variant lookup does it. */
  const lookUp = async () =>
    recordVariantListing({ db: f.db, logger: f.logger }, 'helpdesk', await f.nango.getSyncStatus!({ providerConfigKey: 'helpdesk' }));
  const discover = (rules = ALL_VARIANTS): Promise<ReconcileSummary> =>
    reconcileSchedules(
      {
        nango: f.nango,
        scriptsConfig: createScriptsConfigCache({ nango: f.nango }, { maxAgeMs: 60_000 }),
        queue,
        logger: f.logger,
        knownVariants: (integrations) => listKnownVariants(f.db, integrations),
      },
      { rules, jobOptions: syncJobOptions({ attempts: 5, backoffMs: 1000 }) },
    );
  const scheduled = async () =>
    (await queue.getJobSchedulers(0, -1))
      .map((s) => s.key)
      .filter((k) => k.startsWith('sync/'))
      .sort();

  test('variants GET /sync/status lists get a stream each, beside the base stream', async () => {
    f.standIn.store.syncVariants.create('helpdesk', 'acme', 'tickets', 'eu');
    f.standIn.store.syncVariants.create('helpdesk', 'acme', 'tickets', 'us');
    await lookUp();
    const summary = await discover();
    assert.equal(summary.added, 3);
    assert.deepEqual(await scheduled(), [TICKETS, variant('eu'), variant('us')].map(streamSchedulerId).sort());
    assert.match(f.logText(), /"variant":"eu".*sync variant found: its streams follow/);
  });

  test('a rule naming its variants follows those only', async () => {
    await discover([{ ...ALL_VARIANTS[0]!, variants: ['base', 'eu'] }]);
    assert.deepEqual(await scheduled(), [TICKETS, variant('eu')].map(streamSchedulerId).sort());
    await discover();
    assert.equal((await scheduled()).length, 3);
  });

  test('a variant deleted in Nango stops being scheduled, keeps its rows, and status says it is not followed', async () => {
    f.standIn.store.save('helpdesk', 'acme', 'Ticket::us', [makeTicket(1), makeTicket(2)]);
    await f.sync({ stream: variant('us') });
    f.standIn.store.syncVariants.delete('helpdesk', 'acme', 'tickets', 'us');
    await lookUp();
    const summary = await discover();
    assert.equal(summary.removed, 1);
    assert.deepEqual(await scheduled(), [TICKETS, variant('eu')].map(streamSchedulerId).sort());
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM nango.ticket WHERE _nango_variant = 'us'`.execute(f.db);
    assert.equal(rows[0]?.n, 2);
    const [us] = await listStreamStatus(f.db, { filter: { model: 'Ticket' } }).then((s) => s.filter((x) => x.variant === 'us'));
    assert.equal(us?.variantGone, true);
    assert.equal((await summarizeStreams(f.db)).notFollowed, 1);
    assert.match(f.logText(), /"variant":"us".*sync variant gone from Nango: its streams stop, their rows stay/);
  });

  test('a variant listed again is followed again', async () => {
    f.standIn.store.syncVariants.create('helpdesk', 'acme', 'tickets', 'us');
    await lookUp();
    await discover();
    assert.equal((await scheduled()).length, 3);
    assert.equal((await summarizeStreams(f.db)).notFollowed ?? 0, 0);
  });

  test('a webhook of a variant nobody listed yet schedules its stream at once, and discovery keeps it', async () => {
    const deps = { db: f.db, queue, rules: ALL_VARIANTS, logger: f.logger };
    assert.equal(await followAnnouncedVariant(deps, variant('apac'), 'tickets'), true);
    const id = streamSchedulerId(variant('apac'));
    const announced = await queue.getJobScheduler(id);
    assert.ok(announced?.every !== undefined && announced.next !== undefined, 'scheduled');
    assert.equal(announced.offset, schedulerOffsetMs(id, announced.every), 'at its own slot in the period');
    assert.equal(announced.next % announced.every, announced.offset);
    assert.equal(await followAnnouncedVariant(deps, variant('apac'), 'tickets'), false, 'already scheduled');
    const { moved, updated } = await discover();
    assert.deepEqual({ moved, updated }, { moved: 0, updated: 0 }, 'discovery finds it where it would have put it');
    assert.ok((await scheduled()).includes(streamSchedulerId(variant('apac'))), 'discovery keeps the announced variant');
    const excluding = { ...deps, rules: [{ ...ALL_VARIANTS[0]!, variants: ['base'] }] };
    assert.equal(await followAnnouncedVariant(excluding, variant('latam'), 'tickets'), false, 'a rule that does not follow it');
    const otherConnection = { ...variant('apac'), connectionId: 'nobody' };
    assert.equal(await followAnnouncedVariant(deps, otherConnection, 'tickets'), false, 'its base stream is not followed');
  });

  test('a backfill without a variant covers the plain sync and every variant followed; with one, that one only', async () => {
    const deps = {
      nango: f.nango,
      scriptsConfig: createScriptsConfigCache({ nango: f.nango }, { maxAgeMs: 60_000 }),
      knownVariants: (integrations: ReadonlyArray<string>) => listKnownVariants(f.db, integrations),
    };
    const all = await listBackfillStreams(deps, { providerConfigKey: 'helpdesk', connectionId: 'acme' });
    assert.deepEqual(all.map((s) => s.variant).sort(), ['apac', 'base', 'eu', 'us']);
    const one = await listBackfillStreams(deps, { providerConfigKey: 'helpdesk', connectionId: 'acme', variant: 'eu' });
    assert.deepEqual(one, [variant('eu')]);
  });
});
