import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { assertMatchesSource } from '../helpers/assert-matches-source.js';
import { seedTickets, TICKETS } from '../helpers/replication-fixture.js';
import { hmacSignature, nangoWebhookBody, syncSuccessPayload } from '../helpers/sign-nango-webhook.js';
import { ticketJsonSchema } from '../helpers/ticket-model.js';
import { streamSchedulerId } from '../../src/stream/stream-ids.js';
import { baseConfig, createWorkerFleet, type SpawnedWorker, waitUntil, type WorkerFleet } from '../helpers/worker-fleet.js';

const { providerConfigKey: PCK, connectionId: CONN, model: MODEL } = TICKETS;
const SIGNING_KEY = '3c1e9f0a-7b2d-4e8f-9a6c-5d4b3a2f1e0d';
const OLD_SIGNING_KEY = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const ADMIN_TOKEN = 'f00dfeedcafe0123456789abcdef0123';

describe('the worker over HTTP: signed webhooks on the public door, metrics and the status page on the admin door', () => {
  let f: WorkerFleet;
  let worker: SpawnedWorker;
  let base: string;
  let admin: string;
  const asAdmin = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
  const source = () => f.standIn.store.snapshot(PCK, CONN, MODEL);
  const converged = async () => assertMatchesSource(await f.rows('ticket', CONN), source());
  const runs = async () =>
    Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM nango_replicator.runs`.execute(f.db)).rows[0]?.n);
  const post = (body: Buffer, signature: string) =>
    fetch(`${base}/webhooks/nango`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-nango-hmac-sha256': signature },
    });
  const webhook = (overrides: Record<string, unknown> = {}) =>
    nangoWebhookBody(syncSuccessPayload({ providerConfigKey: PCK, connectionId: CONN, model: MODEL, syncName: 'tickets', ...overrides }));

  before(async () => {
    f = await createWorkerFleet('worker_webhooks');
    f.standIn.store.addConnection({ providerConfigKey: PCK, connectionId: CONN });
    f.standIn.store.deploySync({
      providerConfigKey: PCK,
      name: 'tickets',
      models: [{ name: MODEL, jsonSchema: ticketJsonSchema }],
      runs: 'every hour',
    });
    seedTickets(f.standIn, 0, 30);
    f.writeConfig(`${baseConfig(f)}streams:\n  - integration: ${PCK}\n    models: [${MODEL}]\n`);
    worker = f.spawnWorker({ NANGO_WEBHOOK_SIGNING_KEY: SIGNING_KEY, NANGO_WEBHOOK_SIGNING_KEY_PREVIOUS: OLD_SIGNING_KEY, ADMIN_TOKEN });
    base = `http://127.0.0.1:${await worker.port()}`;
    admin = `http://127.0.0.1:${await worker.adminPort()}`;
    await waitUntil(converged, 60_000);
  });
  after(async () => {
    await f.close();
  });

  test('a signed webhook brings the new records into Postgres within seconds while the schedule is an hour', async () => {
    f.standIn.store.update(PCK, CONN, MODEL, [{ id: 'T-3', title: 'pushed by Nango' }]);
    seedTickets(f.standIn, 100, 2);
    const body = webhook();
    const response = await post(body, hmacSignature(SIGNING_KEY, body));
    assert.equal(response.status, 200);
    await waitUntil(converged, 15_000);
    assert.equal((await f.rows('ticket', CONN)).get('T-3')?.title, 'pushed by Nango');
  });

  test('during a key rotation the previous key is accepted too', async () => {
    const body = webhook();
    assert.equal((await post(body, hmacSignature(OLD_SIGNING_KEY, body))).status, 200);
  });

  test('a forged webhook, or one whose body changed after signing, is refused and pulls nothing', async () => {
    const queued = async () => {
      const counts = await f.queue.getJobCounts('waiting', 'delayed', 'active');
      return (counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.active ?? 0);
    };
    await waitUntil(async () => assert.equal(await queued(), 1), 30_000); // the pull the rotation test asked for is done
    const before = await runs();
    const body = webhook();
    assert.equal((await post(body, hmacSignature('a-key-nango-never-had', body))).status, 401);
    const tampered = webhook({ connectionId: 'someone-else' });
    assert.equal((await post(tampered, hmacSignature(SIGNING_KEY, body))).status, 401);
    assert.equal(await statusForAnnouncedLength(`${base}/webhooks/nango`, 2 * 1024 * 1024), 413);
    assert.equal(await queued(), 1, 'only the hourly scheduler job is queued');
    assert.equal(await runs(), before);
  });

  test('the public door answers 404 for the status page and /metrics, and its readiness names no stream', async () => {
    for (const path of ['/', '/metrics', '/status', '/webhooks/nango?x=<b>']) {
      const response = await fetch(`${base}${path}`);
      assert.equal(response.status, 404, path);
      assert.doesNotMatch(await response.text(), /metrics|status|<b>/, 'the answer does not echo the path asked for');
    }
    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready' });
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
  });

  test('the admin door answers 401 without the token, 200 with it, and its health routes stay open', async () => {
    for (const path of ['/', '/metrics']) {
      assert.equal((await fetch(`${admin}${path}`)).status, 401, path);
      assert.equal((await fetch(`${admin}${path}`, { headers: { authorization: 'Bearer not-the-token' } })).status, 401, path);
      assert.equal((await fetch(`${admin}${path}`, asAdmin)).status, 200, path);
    }
    assert.equal((await fetch(`${admin}/healthz`)).status, 200);
    const ready = (await (await fetch(`${admin}/readyz`)).json()) as { checks?: Record<string, string> };
    assert.deepEqual(ready.checks, { postgres: 'ok', redis: 'ok', worker: 'ok' });
    assert.doesNotMatch(worker.stderr(), new RegExp(ADMIN_TOKEN), 'the token is never logged');
  });

  test('/metrics reports the rows written per stream, the webhooks by outcome and the jobs of both queues by state', async () => {
    const text = await (await fetch(`${admin}/metrics`, asAdmin)).text();
    const upserted = new RegExp(`records_upserted_total\\{[^}]*connection="${CONN}"[^}]*\\} (\\d+)`).exec(text);
    assert.ok(upserted, text.slice(0, 2000));
    assert.equal(Number(upserted[1]), 30 + 3, '30 on the first run, then the changed and the two new ones');
    assert.match(text, /webhooks_total\{outcome="[a-z-]*"\} [1-9]/);
    assert.match(text, /freshness_lag_seconds\{[^}]*model="Ticket"[^}]*\}/);
    assert.match(text, /queue_jobs\{queue="nango-sync",state="delayed"\} \d+/);
    assert.match(text, /queue_jobs\{queue="nango-backfill",state="waiting-children"\} 0/);
  });

  test('the status page lists the stream', async () => {
    const response = await fetch(`${admin}/`, asAdmin);
    assert.equal(response.status, 200);
    const html = await response.text();
    assert.equal(html.match(/<tr class="stream/g)?.length, 1);
    assert.match(html, /helpdesk/);
  });

  // Last: it adds a stream, which the counts above do not expect.
  test("a webhook with syncVariant v1 pulls the v1 stream and follows it from now on, not the base stream's", async () => {
    f.standIn.store.save(PCK, CONN, `${MODEL}::v1`, [
      { id: 'T-1', title: 'the v1 copy of T-1' },
      { id: 'V-9', title: 'only in v1' },
    ]);
    const baseRuns = async () =>
      Number(
        (
          await sql<{ n: number }>`SELECT count(*)::int AS n FROM nango_replicator.runs r
            JOIN nango_replicator.streams s ON s.id = r.stream_id WHERE s.variant = 'base'`.execute(f.db)
        ).rows[0]?.n,
      );
    const before = await baseRuns();
    const body = webhook({ syncVariant: 'v1' });
    assert.equal((await post(body, hmacSignature(SIGNING_KEY, body))).status, 200);
    const v1Rows = async () =>
      (
        await sql<{ id: string; title: string }>`SELECT id, title FROM nango.ticket
          WHERE _nango_connection_id = ${CONN} AND _nango_variant = 'v1' ORDER BY id`.execute(f.db)
      ).rows;
    await waitUntil(async () => assert.equal((await v1Rows()).length, 2), 15_000);
    assert.deepEqual(await v1Rows(), [
      { id: 'T-1', title: 'the v1 copy of T-1' },
      { id: 'V-9', title: 'only in v1' },
    ]);
    assert.notEqual((await f.rows('ticket', CONN)).get('T-1')?.title, 'the v1 copy of T-1', 'the base row of T-1 is its own');
    assert.equal(await baseRuns(), before, 'the base stream was not pulled');
    const v1 = { providerConfigKey: PCK, connectionId: CONN, model: MODEL, variant: 'v1' };
    assert.ok((await f.queue.getJobScheduler(streamSchedulerId(v1))) !== undefined, 'the v1 stream has a scheduler of its own now');
    const { rows } = await sql<{
      variant: string;
    }>`SELECT variant FROM nango_replicator.sync_variants WHERE connection_id = ${CONN}`.execute(f.db);
    assert.deepEqual(rows, [{ variant: 'v1' }], 'recorded, so discovery keeps following it');
  });
});

/**
 * The status the server answers to a POST that announces `length` bytes, before any of them is sent. The server
 * refuses an oversized body from its Content-Length and closes the connection; a client still writing the body at
 * that moment may see the reset instead of the answer (`fetch failed`), so the body is never sent.
 */
function statusForAnnouncedLength(url: string, length: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': length, 'x-nango-hmac-sha256': 'abc' },
    });
    req.on('response', (response) => {
      resolve(response.statusCode);
      req.destroy();
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}
