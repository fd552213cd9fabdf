import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { FlowProducer, Queue } from 'bullmq';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { BACKFILL_JOB, BACKFILL_QUEUE, BACKFILL_STREAM_JOB, SYNC_QUEUE } from '../../src/jobs/queue/queue-names.js';
import { createReplicatorMetrics } from '../../src/metrics/create-replicator-metrics.js';
import { queueJobCounts } from '../../src/metrics/queue-job-counts.js';
import { registerMetricsRoute } from '../../src/metrics/register-metrics-route.js';
import { REDIS_URL, useRedisTestPrefix } from '../helpers/redis-test-prefix.js';

const STREAM = { providerConfigKey: 'helpdesk', connectionId: 'acme', model: 'Ticket' };

describe('/metrics: jobs per state of the sync and backfill queues', () => {
  const keys = useRedisTestPrefix('metrics_queues');
  const prefix = keys.prefix.replace(/:$/, ''); // BullMQ adds its own ':'
  const connection = { url: REDIS_URL };
  let sync: Queue;
  let backfill: Queue;
  let app: FastifyInstance;

  before(async () => {
    sync = new Queue(SYNC_QUEUE, { connection, prefix });
    backfill = new Queue(BACKFILL_QUEUE, { connection, prefix });
    const registry = new Registry();
    createReplicatorMetrics(registry, { queues: [queueJobCounts(SYNC_QUEUE, () => sync), queueJobCounts(BACKFILL_QUEUE, () => backfill)] });
    app = Fastify();
    registerMetricsRoute(app, { registry });
  });
  after(async () => {
    await app.close();
    await sync.close();
    await backfill.close();
  });

  const scrape = async () => (await app.inject({ method: 'GET', url: '/metrics' })).body;
  const series = (text: string, queue: string, state: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`nango_replicator_queue_jobs{queue="${queue}",state="${state}"} `));
    assert.ok(line, `no queue_jobs series for ${queue}/${state} in:\n${text}`);
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  };

  test('a backfill waiting for its two streams shows as one request waiting for children and two stream jobs waiting', async () => {
    const flows = new FlowProducer({ connection, prefix });
    try {
      await flows.add({
        name: BACKFILL_JOB,
        queueName: BACKFILL_QUEUE,
        data: { providerConfigKey: STREAM.providerConfigKey },
        children: ['acme', 'globex'].map((connectionId) => ({
          name: BACKFILL_STREAM_JOB,
          queueName: BACKFILL_QUEUE,
          data: { ...STREAM, connectionId, mode: 'merge', force: false },
        })),
      });
    } finally {
      await flows.close();
    }
    await sync.add('sync', { ...STREAM, trigger: 'manual' }, { jobId: `sync-${randomUUID()}`, delay: 60_000 });

    const text = await scrape();
    assert.equal(series(text, BACKFILL_QUEUE, 'waiting-children'), 1);
    assert.equal(series(text, BACKFILL_QUEUE, 'waiting'), 2);
    assert.equal(series(text, BACKFILL_QUEUE, 'active'), 0);
    assert.equal(series(text, BACKFILL_QUEUE, 'failed'), 0);
    assert.equal(series(text, SYNC_QUEUE, 'delayed'), 1);
    assert.equal(series(text, SYNC_QUEUE, 'waiting'), 0);
  });

  test('a queue that is not open yet exports no series and is not counted as a failing source', async () => {
    const registry = new Registry();
    createReplicatorMetrics(registry, { queues: [queueJobCounts(BACKFILL_QUEUE, () => undefined)] });
    const text = await registry.metrics();
    assert.doesNotMatch(text, /nango_replicator_queue_jobs\{/);
    assert.doesNotMatch(text, /metrics_source_errors_total\{source="queues"\} [1-9]/);
  });
});
