import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify from 'fastify';
import type { Kysely } from 'kysely';
import { Registry } from 'prom-client';
import { createReplicatorMetrics } from '../../src/metrics/create-replicator-metrics.js';
import { instrumentRequestGate } from '../../src/metrics/instrument-request-gate.js';
import { loadFleetFigures } from '../../src/metrics/load-fleet-figures.js';
import { loadStreamFreshness } from '../../src/metrics/load-stream-freshness.js';
import { recordPageMetrics } from '../../src/metrics/record-page-metrics.js';
import { registerMetricsRoute } from '../../src/metrics/register-metrics-route.js';
import { openGate } from '../../src/ratelimit/request-gate.js';
import { createDatabase } from '../../src/store/create-database.js';
import { migrateToLatest } from '../../src/store/migrate-to-latest.js';
import type { ReplicatorDatabase } from '../../src/store/replicator-tables.js';
import { type SeededFleet, seedStreamFleet } from '../helpers/seed-stream-fleet.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

const CONNECTIONS = 10_000; // x 3 models = 30,000 streams
const MAX_SCRAPE_BYTES = 1024 * 1024;

describe('/metrics on a fleet of 30,000 streams', () => {
  let database: TestDatabase;
  let db: Kysely<ReplicatorDatabase>;
  let fleet: SeededFleet;

  before(async () => {
    database = await createTestDatabase('metrics_fleet');
    db = createDatabase({ url: database.secretUrl });
    await migrateToLatest(db);
    fleet = await seedStreamFleet(db, CONNECTIONS);
  });

  after(async () => {
    await db?.destroy();
    await database?.drop();
  });

  /** A worker's metrics as the worker wires them, after some traffic, scraped through the route. */
  async function scrape(perStream: boolean | 'auto'): Promise<string> {
    const registry = new Registry();
    const metrics = createReplicatorMetrics(
      registry,
      { streams: () => loadStreamFreshness(db), fleet: () => loadFleetFigures(db) },
      { perStream },
    );
    for (let n = 0; n < 2000; n++) {
      recordPageMetrics(
        metrics,
        { providerConfigKey: 'crm', connectionId: `c-${n}`, model: 'Deal', variant: 'base' },
        { upserted: 3, deleted: 1, valueErrors: 0, rejected: 0 },
      );
    }
    await instrumentRequestGate(openGate, metrics).observe({ status: 200, durationMs: 120 });
    await instrumentRequestGate(openGate, metrics).observe({ status: 429, durationMs: 30 });
    const app = Fastify();
    registerMetricsRoute(app, { registry });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    if (perStream !== 'auto') return res.body;
    // auto learnt the fleet's size in that first scrape and dropped what was counted per connection before it.
    assert.doesNotMatch(res.body, /connection="/, 'not even in the first scrape');
    assert.ok(res.rawPayload.length < MAX_SCRAPE_BYTES, `first scrape: ${res.rawPayload.length} bytes`);
    for (let n = 0; n < 2000; n++) {
      recordPageMetrics(
        metrics,
        { providerConfigKey: 'crm', connectionId: `c-${n}`, model: 'Deal', variant: 'base' },
        { upserted: 3, deleted: 1, valueErrors: 0, rejected: 0 },
      );
    }
    return (await app.inject({ method: 'GET', url: '/metrics' })).body;
  }

  test('by default (auto at 30,000 streams: off) a scrape is under 1 MB, with totals per integration and model', async () => {
    const body = await scrape('auto');
    assert.ok(Buffer.byteLength(body) < MAX_SCRAPE_BYTES, `${Buffer.byteLength(body)} bytes`);
    assert.doesNotMatch(body, /connection="/, 'no series per connection');
    assert.match(body, new RegExp(`nango_replicator_streams\\{integration="crm",model="Deal",state="failing"\\} ${fleet.failing}\\n`));
    assert.match(body, new RegExp(`nango_replicator_streams\\{integration="crm",model="Contact",state="never"\\} ${fleet.never / 3}\\n`));
    assert.match(body, /nango_replicator_records_upserted_total\{integration="crm",model="Deal"\} 6000\n/);
    assert.match(body, /nango_replicator_since_last_success_max_seconds\{integration="crm",model="Ticket"\} 1800\d/, 'the worst: 5 h');
    assert.match(body, /nango_replicator_since_last_success_seconds_bucket\{integration="crm",model="Deal",le="\+Inf"\} \d+/);
    assert.match(body, /nango_replicator_freshness_lag_max_seconds\{integration="crm",model="Deal"\} \d+/);
    assert.match(body, /nango_replicator_stream_rows\{integration="crm",model="Deal"\} \d+/);
    assert.match(body, /nango_replicator_api_request_duration_seconds_bucket\{le="0.25",status="2xx"\} 1\n/);
    assert.match(body, /nango_replicator_api_request_duration_seconds_count\{status="429"\} 1\n/);
  });

  test('with metrics.perStream on, each stream has its own series', async () => {
    const body = await scrape(true);
    assert.match(
      body,
      /nango_replicator_stream_last_success_timestamp_seconds\{integration="crm",connection="c-7",model="Contact",variant="base"\} \d/,
    );
    assert.match(body, /nango_replicator_records_upserted_total\{integration="crm",connection="c-1999",model="Deal",variant="base"\} 3\n/);
    assert.equal(body.match(/^nango_replicator_stream_seconds_since_last_success\{/gm)?.length, fleet.total - fleet.never);
  });

  test('auto keeps series per stream on a fleet of at most 500 streams', async () => {
    const small = await createTestDatabase('metrics_fleet_small');
    const smallDb = createDatabase({ url: small.secretUrl });
    try {
      await migrateToLatest(smallDb);
      await seedStreamFleet(smallDb, 166);
      const registry = new Registry();
      const metrics = createReplicatorMetrics(
        registry,
        { streams: () => loadStreamFreshness(smallDb), fleet: () => loadFleetFigures(smallDb) },
        { perStream: 'auto' },
      );
      await registry.metrics();
      assert.equal(metrics.perStream(), true, '498 streams');
      recordPageMetrics(
        metrics,
        { providerConfigKey: 'crm', connectionId: 'c-1', model: 'Deal', variant: 'base' },
        { upserted: 1, deleted: 0, valueErrors: 0, rejected: 0 },
      );
      assert.match(
        await registry.metrics(),
        /nango_replicator_records_upserted_total\{integration="crm",connection="c-1",model="Deal",variant="base"\} 1\n/,
      );
      assert.match(
        await registry.metrics(),
        /nango_replicator_stream_seconds_since_last_success\{integration="crm",connection="c-1",model="Deal",variant="base"\}/,
      );
    } finally {
      await smallDb.destroy();
      await small.drop();
    }
  });
});
