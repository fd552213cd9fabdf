import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { Registry } from 'prom-client';
import { Secret } from '../../src/config/secret.js';
import { createReplicatorMetrics } from '../../src/metrics/create-replicator-metrics.js';
import { instrumentRequestGate } from '../../src/metrics/instrument-request-gate.js';
import { loadStreamFreshness } from '../../src/metrics/load-stream-freshness.js';
import { pageMetricsRecorder } from '../../src/metrics/page-metrics-recorder.js';
import { recordRunMetrics } from '../../src/metrics/record-run-metrics.js';
import { registerMetricsRoute } from '../../src/metrics/register-metrics-route.js';
import { createNangoClient } from '../../src/nango/nango-client.js';
import { openGate } from '../../src/ratelimit/request-gate.js';
import { directModelFields } from '../../src/replicate/model-fields-lookup.js';
import { replicateStream } from '../../src/replicate/replicate-stream.js';
import { startNangoStandIn, type NangoStandIn } from '../../stand-in/nango-stand-in.js';
import { createDatabase } from '../../src/store/create-database.js';
import { migrateToLatest } from '../../src/store/migrate-to-latest.js';
import type { ReplicatorDatabase } from '../../src/store/replicator-tables.js';
import { captureLogger } from '../helpers/capture-logger.js';
import { TEST_SECRET_KEY, TICKETS } from '../helpers/replication-fixture.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';
import { makeTicket, ticketJsonSchema } from '../helpers/ticket-model.js';

const { providerConfigKey: PCK, connectionId: CONN, model: MODEL } = TICKETS;
const HOUR_MS = 3_600_000;
const STREAM_LABELS = `integration="${PCK}",connection="${CONN}",model="${MODEL}",variant="base"`;

/** The value of one series in Prometheus text, e.g. `sample(text, 'pages_total', labels)`. */
function sample(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`nango_replicator_${name}${labels === '' ? ' ' : `{${labels}} `}`));
  assert.ok(line !== undefined, `no series nango_replicator_${name}{${labels}} in:\n${text}`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('/metrics after a known sync', () => {
  let database: TestDatabase;
  let db: Kysely<ReplicatorDatabase>;
  let standIn: NangoStandIn;
  let app: FastifyInstance;
  let text: string;

  before(async () => {
    database = await createTestDatabase('metrics_after_sync');
    db = createDatabase({ url: database.secretUrl });
    await migrateToLatest(db);
    // The source's clock runs an hour behind: the newest record written was modified an hour ago.
    standIn = await startNangoStandIn({ secretKey: TEST_SECRET_KEY, now: () => Date.now() - HOUR_MS });
    standIn.store.addConnection({ providerConfigKey: PCK, connectionId: CONN });
    standIn.store.deploySync({
      providerConfigKey: PCK,
      name: 'tickets',
      models: [{ name: MODEL, jsonSchema: ticketJsonSchema }],
      runs: 'every hour',
    });
    const tickets = Array.from({ length: 60 }, (_, n) => makeTicket(n, n === 7 ? { points: 'many' } : {}));
    standIn.store.save(PCK, CONN, MODEL, tickets);

    const registry = new Registry();
    const metrics = createReplicatorMetrics(registry, { streams: () => loadStreamFreshness(db) });
    const { logger } = captureLogger('warn');
    const gate = instrumentRequestGate(openGate, metrics);
    const nango = createNangoClient(
      { fetch, gate, logger },
      {
        host: standIn.url,
        secretKey: new Secret(TEST_SECRET_KEY),
        requestTimeoutMs: 5_000,
        retries: 2,
        retryMinDelayMs: 5,
        retryMaxDelayMs: 10,
      },
    );
    standIn.faults.rateLimitNext(1, 0, { pathPrefix: '/records' });
    const run = (kind: 'sync' | 'full') =>
      replicateStream(
        { db, nango, modelFields: directModelFields(nango), logger },
        {
          stream: TICKETS,
          schema: 'nango',
          deletes: 'soft',
          fillfactor: 100,
          pageSize: 25,
          full: kind === 'full',
          onProgress: pageMetricsRecorder(metrics, TICKETS),
        },
      ).then(() => recordRunMetrics(metrics, TICKETS, { kind, status: 'succeeded' }));
    await run('sync'); // 60 records in pages of 25, 25, 10
    standIn.store.delete(PCK, CONN, MODEL, [{ id: 'T-1' }, { id: 'T-2' }]);
    await run('sync'); // one page: the two deletions

    app = Fastify();
    registerMetricsRoute(app, { registry });
    text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  });

  after(async () => {
    await app?.close();
    await db?.destroy();
    await standIn?.close();
    await database?.drop();
  });

  test('per stream: pages, records upserted and deleted, value errors and runs', () => {
    assert.equal(sample(text, 'pages_total', STREAM_LABELS), 4);
    assert.equal(sample(text, 'records_upserted_total', STREAM_LABELS), 62, '60 records, then 2 tombstones');
    assert.equal(sample(text, 'records_deleted_total', STREAM_LABELS), 2);
    assert.equal(sample(text, 'value_errors_total', STREAM_LABELS), 1);
    assert.equal(sample(text, 'runs_total', `${STREAM_LABELS},kind="sync",status="succeeded"`), 2);
  });

  test('per stream, from the database: freshness lag, last success and time since', () => {
    const lag = sample(text, 'stream_freshness_lag_seconds', STREAM_LABELS);
    assert.ok(lag >= 3600 && lag < 3660, `freshness lag ${lag} s: the newest record was modified an hour ago`);
    const since = sample(text, 'stream_seconds_since_last_success', STREAM_LABELS);
    assert.ok(since >= 0 && since < 60, `since last success ${since} s`);
    const last = sample(text, 'stream_last_success_timestamp_seconds', STREAM_LABELS);
    assert.ok(Math.abs(last - Date.now() / 1000) < 60);
  });

  test('API: requests by status, 429s, tokens granted and time waited', () => {
    // scripts config once, then records: 3 pages + a retried 429 in the first run, 1 page in the second.
    assert.equal(sample(text, 'api_requests_total', 'status="429"'), 1);
    assert.equal(sample(text, 'api_rate_limited_total'), 1);
    const ok = sample(text, 'api_requests_total', 'status="200"');
    assert.equal(sample(text, 'ratelimit_tokens_granted_total'), ok + 1);
    assert.equal(sample(text, 'ratelimit_wait_seconds_count'), ok + 1);
    assert.ok(sample(text, 'ratelimit_wait_seconds_sum') >= 0);
  });
});
