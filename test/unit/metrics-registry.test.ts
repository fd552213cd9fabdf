import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Fastify from 'fastify';
import { Registry, register as globalRegistry } from 'prom-client';
import { createReplicatorMetrics, type ReplicatorMetrics } from '../../src/metrics/create-replicator-metrics.js';
import { instrumentRequestGate } from '../../src/metrics/instrument-request-gate.js';
import { pageMetricsRecorder } from '../../src/metrics/page-metrics-recorder.js';
import { recordPageMetrics } from '../../src/metrics/record-page-metrics.js';
import { registerMetricsRoute } from '../../src/metrics/register-metrics-route.js';
import type { RequestGate } from '../../src/ratelimit/request-gate.js';

const A = { providerConfigKey: 'github', connectionId: 'acme', model: 'Issue', variant: 'base' };
const B = { providerConfigKey: 'github', connectionId: 'globex', model: 'Issue', variant: 'base' };
const labelsOf = (s: typeof A) => ({ integration: s.providerConfigKey, connection: s.connectionId, model: s.model, variant: s.variant });

async function value(
  metric: { get(): Promise<{ values: Array<{ labels: object; value: number; metricName?: string }> }> },
  labels: object = {},
  metricName?: string,
) {
  const { values } = await metric.get();
  const found = values.find(
    (v) => (metricName === undefined || v.metricName === metricName) && JSON.stringify(v.labels) === JSON.stringify(labels),
  );
  return found?.value;
}

describe('replicator metrics', () => {
  test('live on the registry they are given: two sets side by side, nothing on the global registry', async () => {
    const one = createReplicatorMetrics(new Registry());
    const two = createReplicatorMetrics(new Registry());
    one.pages.inc(labelsOf(A));
    assert.equal(await value(one.pages, labelsOf(A)), 1);
    assert.equal(await value(two.pages, labelsOf(A)), undefined);
    assert.equal(globalRegistry.getSingleMetric('nango_replicator_pages_total'), undefined);
  });

  test('pages are counted per stream, with upserted, deleted, rejected and value errors', async () => {
    const m = createReplicatorMetrics(new Registry());
    recordPageMetrics(m, A, { upserted: 25, deleted: 2, valueErrors: 1, rejected: 0 });
    recordPageMetrics(m, A, { upserted: 10, deleted: 0, valueErrors: 0, rejected: 3 });
    recordPageMetrics(m, B, { upserted: 7, deleted: 0, valueErrors: 0, rejected: 0 });
    assert.equal(await value(m.pages, labelsOf(A)), 2);
    assert.equal(await value(m.recordsUpserted, labelsOf(A)), 35);
    assert.equal(await value(m.recordsDeleted, labelsOf(A)), 2);
    assert.equal(await value(m.valueErrors, labelsOf(A)), 1);
    assert.equal(await value(m.recordsRejected, labelsOf(A)), 3);
    assert.equal(await value(m.recordsUpserted, labelsOf(B)), 7);
  });

  test("a run's running totals (onProgress) become per-page increments", async () => {
    const m = createReplicatorMetrics(new Registry());
    const onProgress = pageMetricsRecorder(m, A);
    onProgress({ pages: 1, upserted: 25, deleted: 0, valueErrors: 0, rejected: 0 });
    onProgress({ pages: 2, upserted: 50, deleted: 1, valueErrors: 2, rejected: 0 });
    onProgress({ pages: 2, upserted: 50, deleted: 1, valueErrors: 2, rejected: 0 }); // repeated: no page
    assert.equal(await value(m.pages, labelsOf(A)), 2);
    assert.equal(await value(m.recordsUpserted, labelsOf(A)), 50);
    assert.equal(await value(m.valueErrors, labelsOf(A)), 2);
  });

  test('the instrumented gate counts responses by status, 429s, grants and the time waited', async (t) => {
    // A gate that waits 30 ms per acquire on mocked timers, with performance.now() moved in step: no real time passes.
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let nowMs = 1000;
    t.mock.method(performance, 'now', () => nowMs);
    const advance = (ms: number) => {
      nowMs += ms;
      t.mock.timers.tick(ms);
    };
    const m = createReplicatorMetrics(new Registry());
    const slowGate: RequestGate = {
      acquire: (signal) =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(resolve, 30);
          signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)));
        }),
      observe: async () => {},
    };
    const gate = instrumentRequestGate(slowGate, m);
    const first = gate.acquire();
    advance(30);
    await first;
    await gate.observe({ status: 200 });
    const second = gate.acquire();
    advance(30);
    await second;
    await gate.observe({ status: 429, retryAfterSeconds: 1 });
    const aborted = new AbortController();
    const waiting = gate.acquire(aborted.signal);
    advance(10);
    aborted.abort(new Error('shutting down'));
    await assert.rejects(waiting);

    assert.equal(await value(m.apiRequests, { status: '200' }), 1);
    assert.equal(await value(m.apiRequests, { status: '429' }), 1);
    assert.equal(await value(m.apiRateLimited), 1);
    assert.equal(await value(m.tokensGranted), 2, 'an aborted wait is not a grant');
    const waited = await value(m.rateLimitWait, {}, 'nango_replicator_ratelimit_wait_seconds_sum');
    assert.ok(waited !== undefined && Math.abs(waited - 0.06) < 1e-9, `waited ${waited} s: the two granted waits of 30 ms`);
  });

  test('queue depth and active jobs are read from the queue at scrape time', async () => {
    let counts = { waiting: 5, active: 2, delayed: 1 };
    const m = createReplicatorMetrics(new Registry(), { queues: [{ name: 'nango-sync', counts: async () => counts }] });
    assert.equal(await value(m.queueJobs, { queue: 'nango-sync', state: 'waiting' }), 5);
    counts = { waiting: 0, active: 1, delayed: 0 };
    assert.equal(await value(m.queueJobs, { queue: 'nango-sync', state: 'waiting' }), 0);
    assert.equal(await value(m.queueJobs, { queue: 'nango-sync', state: 'active' }), 1);
  });

  test('a failing source leaves its gauges empty for that scrape, counted and reported, and /metrics still answers', async () => {
    const reported: string[] = [];
    let calls = 0;
    const registry = new Registry();
    const m: ReplicatorMetrics = createReplicatorMetrics(registry, {
      streams: async () => {
        calls += 1;
        throw new Error('database unreachable');
      },
      onSourceError: (source) => reported.push(source),
    });
    const app = Fastify();
    registerMetricsRoute(app, { registry });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.equal(calls, 1, 'the three stream gauges share one read per scrape');
    assert.deepEqual(reported, ['streams']);
    assert.doesNotMatch(res.body, /^nango_replicator_stream_freshness_lag_seconds\{/m);
    assert.equal(await value(m.sourceErrors, { source: 'streams' }), 1);
  });
});
