import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { StreamRule } from '../../src/config/replicator-config.js';
import { SYNC_QUEUE } from '../../src/jobs/queue/queue-names.js';
import { reconcileSchedules, type ReconcileOptions } from '../../src/jobs/discovery/reconcile-schedules.js';
import { schedulerOffsetMs } from '../../src/jobs/discovery/scheduler-offset.js';
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
  const ticketId = (n: number) =>
    streamSchedulerId({ providerConfigKey: 'helpdesk', connectionId: `tenant-${n}`, model: 'Ticket', variant: 'base' });
  /** The stream schedulers, with their next run (epoch ms). */
  const schedulers = async () =>
    (await queue.getJobSchedulers(0, -1, true)).filter((s) => s.key.startsWith('sync/')).map((s) => ({ ...s, next: s.next ?? NaN }));
  /** The scheduler ids of the pulls requested now (`pullStreamOnce`), one per stream read at once. */
  const requestedPulls = async () =>
    (await queue.getJobs(['delayed', 'waiting'])).flatMap((job) => /^(.+)\/requested\//.exec(job.id ?? '')?.[1] ?? []);
  /** BullMQ's job counter: every scheduler upsert and every added job moves it. */
  const jobCounter = async () => Number(await redis.get(`${PREFIX}:${SYNC_QUEUE}:id`));
  /** The busiest tenth of the period, as a multiple of its share, over the next runs of the schedulers of that period. */
  const busiestTenth = (nexts: number[], everyMs: number, nowMs: number) => {
    const tenths = new Array<number>(10).fill(0);
    for (const next of nexts) tenths[Math.min(9, Math.floor(((next - nowMs) / everyMs) * 10))]! += 1;
    return Math.max(...tenths) / (nexts.length / 10);
  };

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
      { desired: 4000, added: 4000, updated: 0, moved: 0, removed: 0, unchanged: 0, repaired: 0, notes: [] },
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

  test('a fleet created in one pass ticks spread over each period, each stream at its own slot, not all at once', async () => {
    const nowMs = Date.now();
    const all = await schedulers();
    for (const scheduler of all) {
      assert.equal(scheduler.offset, schedulerOffsetMs(scheduler.key, scheduler.every!), scheduler.key);
      assert.equal(scheduler.next % scheduler.every!, scheduler.offset, `${scheduler.key} ticks at its slot`);
      assert.ok(scheduler.next > nowMs - 5000 && scheduler.next <= nowMs + scheduler.every!, `${scheduler.key} next within one period`);
    }
    const tickets = all.filter((s) => s.every === 30 * 60_000).map((s) => s.next);
    assert.equal(tickets.length, 2000);
    const busiest = busiestTenth(tickets, 30 * 60_000, nowMs);
    assert.ok(busiest < 1.5, `the busiest tenth of the half hour holds ${busiest.toFixed(2)}x its share`);
  });

  test('every new stream is read at once: one pull now, unless its first tick is due within a minute anyway', async () => {
    const pulls = await requestedPulls();
    assert.equal(new Set(pulls).size, pulls.length, 'one pull per stream');
    // The first scheduled jobs, with their delay when created.
    const firstTicks = (await queue.getJobs(['delayed', 'waiting'])).filter((j) => j.id?.startsWith('repeat:sync/'));
    assert.equal(firstTicks.length, 4000);
    const soon = firstTicks.filter((j) => (j.opts.delay ?? 0) <= 60_000).map((j) => j.opts.repeatJobKey!);
    assert.deepEqual(
      pulls.filter((id) => soon.includes(id)),
      [],
      'no pull for a stream whose first tick reads it now',
    );
    assert.equal(pulls.length + soon.length, 4000, 'every stream is read within a minute, once');
    const job = (await queue.getJobs(['delayed', 'waiting'])).find((j) => j.id?.startsWith(`${pulls[0]}/requested/`));
    assert.equal(job?.data.trigger, 'manual', 'not a webhook: adaptive polling does not count it as an announced change');
    const scheduler = await queue.getJobScheduler(pulls[0]!);
    assert.deepEqual(
      { everyMs: job?.data.everyMs, safetyNetMs: job?.data.safetyNetMs },
      { everyMs: scheduler?.every, safetyNetMs: 6 * 3_600_000 },
      "it carries the stream's schedule, which its read stores",
    );
    assert.ok((job?.opts.delay ?? Infinity) <= 1000, 'pulled within a second');
  });

  test('a pass with nothing changed writes nothing', async () => {
    const nexts = new Map((await schedulers()).map((s) => [s.key, s.next]));
    const counter = await jobCounter();
    const summary = await reconcile();
    assert.equal(summary.unchanged, 4000);
    assert.equal(summary.added + summary.updated + summary.moved + summary.removed + summary.repaired, 0);
    assert.equal(await jobCounter(), counter, 'no upsert, no job added');
    for (const s of await schedulers()) assert.equal(s.next, nexts.get(s.key), `${s.key} keeps its next run`);
  });

  test('a scheduler that ticks while a pass pages the listing is not taken for a new stream: no upsert, no pull', async () => {
    // The listing is ordered by next run. A tick moves its scheduler's next run a period on, to the end of the order,
    // and shifts every later scheduler down a place: the first of the next page slips past the pass unseen.
    const repeatKey = `${PREFIX}:${SYNC_QUEUE}:repeat`;
    let ticked: { key: string; every: number } | undefined;
    const ticking = new Proxy(queue, {
      get(target, property, receiver) {
        if (property !== 'getJobSchedulers') return Reflect.get(target, property, receiver) as unknown;
        return async (start: number, end: number, asc: boolean) => {
          const page = await target.getJobSchedulers(start, end, asc);
          if (ticked === undefined && page[0] !== undefined) {
            ticked = { key: page[0].key, every: page[0].every ?? 0 };
            await redis.zincrby(repeatKey, ticked.every, ticked.key);
          }
          return page;
        };
      },
    });
    const counter = await jobCounter();
    const pullsBefore = (await requestedPulls()).length;
    const { logger: warnings, lines } = captureLogger('warn');
    const summary = await reconcileSchedules(
      { nango, scriptsConfig: createScriptsConfigCache({ nango }, { maxAgeMs: 60_000 }), queue: ticking, logger: warnings },
      { rules, jobOptions: syncJobOptions({ attempts: 5, backoffMs: 1000 }) },
    );
    assert.ok(ticked !== undefined, 'a scheduler ticked during the pass');
    await redis.zincrby(repeatKey, -ticked.every, ticked.key);
    assert.equal(summary.unchanged, 4000, 'every scheduler compared, the skipped one too');
    assert.equal(summary.added + summary.updated + summary.moved + summary.repaired, 0);
    assert.equal(await jobCounter(), counter, 'no upsert, no job added');
    assert.equal((await requestedPulls()).length, pullsBefore, 'no stream read for nothing');
    assert.deepEqual(lines, [], 'nothing logged');
  });

  test('a scheduler an earlier version made (ticking at its creation time) is moved to its slot once, keeping one next job', async () => {
    const id = ticketId(11);
    const everyMs = 30 * 60_000;
    const template = (await queue.getJobScheduler(id))!.template!;
    await queue.removeJobScheduler(id);
    // As before offsets: no offset given, its next job in the future at whatever phase it was created.
    await queue.upsertJobScheduler(id, { every: everyMs, startDate: Date.now() + 7 * 60_000 + 123 }, { name: 'sync', ...template });
    const old = (await queue.getJobScheduler(id))!;
    assert.notEqual(old.offset, schedulerOffsetMs(id, everyMs));
    const pullsBefore = (await requestedPulls()).filter((p) => p === id).length;
    const nowMs = Date.now();
    const summary = await reconcile();
    assert.equal(summary.moved, 1);
    assert.equal(summary.updated + summary.added + summary.repaired, 0, 'a move is no repair');
    const moved = (await queue.getJobScheduler(id))!;
    assert.equal(moved.offset, schedulerOffsetMs(id, everyMs));
    assert.equal(moved.next! % everyMs, moved.offset, 'at its slot');
    assert.ok(moved.next! > nowMs && moved.next! <= nowMs + everyMs, 'the first slot after now: no tick at once, none lost');
    const jobs = (await queue.getJobs(['delayed', 'waiting', 'prioritized'])).filter((j) => j.id?.startsWith(`repeat:${id}:`));
    assert.deepEqual(
      jobs.map((j) => j.id),
      [`repeat:${id}:${moved.next}`],
      'exactly one next job: the old one is gone',
    );
    assert.equal((await requestedPulls()).filter((p) => p === id).length, pullsBefore, 'not read at once: it is no new stream');
    assert.equal((await reconcile()).moved, 0, 'moved once');
  });

  test('BullMQ keeps a scheduler on its old phase when only its offset changes (why a move removes it first)', async () => {
    await queue.upsertJobScheduler('phase-probe', { every: 60_000, startDate: Date.now() + 30_000 }, { name: 'probe' });
    const before = (await queue.getJobScheduler('phase-probe'))!;
    await queue.upsertJobScheduler('phase-probe', { every: 60_000, offset: ((before.offset ?? 0) + 20_000) % 60_000 }, { name: 'probe' });
    const after = (await queue.getJobScheduler('phase-probe'))!;
    assert.equal(after.next, before.next, 'same next run: the new offset does not apply');
    assert.notEqual(after.next! % 60_000, after.offset, 'its stored offset no longer says where it ticks');
    await queue.removeJobScheduler('phase-probe');
  });

  test('a changed `every` updates every scheduler of the rule', async () => {
    const summary = await reconcile({ rules: [{ ...rules[0]!, everyMs: 120_000 }] });
    const nowMs = Date.now();
    assert.equal(summary.updated, 4000);
    assert.equal((await queue.getJobScheduler('sync/helpdesk/tenant-9/Ticket'))?.every, 120_000);
    assert.equal(await count(), 4000, 'updated in place, none added');
    const all = await schedulers();
    for (const s of all) assert.equal(s.next % 120_000, schedulerOffsetMs(s.key, 120_000), `${s.key} at its slot of the new period`);
    const busiest = busiestTenth(
      all.map((s) => s.next),
      120_000,
      nowMs,
    );
    assert.ok(busiest < 1.5, `the busiest tenth of the new period holds ${busiest.toFixed(2)}x its share`);
    assert.equal((await reconcile({ rules: [{ ...rules[0]!, everyMs: 120_000 }] })).unchanged, 4000, 'and stays there');
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
