import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { statusCommand } from '../../src/cli/status-command.js';
import { listStreamStatus, type StreamStatus } from '../../src/store/list-stream-status.js';
import { assertMatchesSource } from '../helpers/assert-matches-source.js';
import { seedTickets, TICKETS } from '../helpers/replication-fixture.js';
import { hmacSignature, nangoWebhookBody, syncSuccessPayload } from '../helpers/sign-nango-webhook.js';
import { ticketJsonSchema } from '../helpers/ticket-model.js';
import { baseConfig, createWorkerFleet, waitUntil, type WorkerFleet } from '../helpers/worker-fleet.js';

const { providerConfigKey: PCK, connectionId: CONN, model: MODEL } = TICKETS;
const SIGNING_KEY = '5b2c8e1a-3d4f-4a6b-9c8d-7e6f5a4b3c2d';

describe('adaptive polling: webhooks first, polling as a safety net that backs off', () => {
  let f: WorkerFleet;
  let base: string;
  const source = () => f.standIn.store.snapshot(PCK, CONN, MODEL);
  const converged = async () => assertMatchesSource(await f.rows('ticket', CONN), source());
  const row = async (): Promise<StreamStatus> => {
    const found = (await listStreamStatus(f.db, { schema: 'nango' })).find((s) => s.connectionId === CONN);
    assert.ok(found, 'the stream has a row');
    return found;
  };
  const lastReadAt = async () =>
    (
      await sql<{ at: Date | null }>`SELECT last_read_at AS at FROM nango_replicator.streams WHERE connection_id = ${CONN}`.execute(f.db)
    ).rows[0]?.at?.getTime();
  const emptyReads = async () =>
    Number(
      (await sql<{ n: number }>`SELECT empty_reads AS n FROM nango_replicator.streams WHERE connection_id = ${CONN}`.execute(f.db)).rows[0]
        ?.n,
    );

  before(async () => {
    f = await createWorkerFleet('schedule_adaptive');
    f.standIn.store.addConnection({ providerConfigKey: PCK, connectionId: CONN });
    f.standIn.store.deploySync({
      providerConfigKey: PCK,
      name: 'tickets',
      models: [{ name: MODEL, jsonSchema: ticketJsonSchema }],
      runs: 'every hour',
    });
    seedTickets(f.standIn, 0, 30);
    f.writeConfig(`${baseConfig(f)}streams:\n  - integration: ${PCK}\n    models: [${MODEL}]\n    every: 1s\n    safetyNet: 1h\n`);
    const worker = f.spawnWorker({ NANGO_WEBHOOK_SIGNING_KEY: SIGNING_KEY });
    base = `http://127.0.0.1:${await worker.port()}`;
    await waitUntil(converged, 60_000);
  });
  after(async () => {
    await f.close();
  });

  test('a stream whose reads find nothing is read less and less often, and says so', async () => {
    const idle = await waitUntil(async () => {
      const status = await row();
      assert.ok((status.effectivePeriodMs ?? 0) >= 8000, `backed off: ${status.effectivePeriodMs}`);
      return status;
    }, 90_000);
    assert.match(idle.pollingReason ?? '', /^idle: \d+ empty reads, backed off to \d+s \(safety net 1h\)$/);
  });

  test('a signed webhook pulls the backed-off stream at once with one request, and the stream stays backed off', async () => {
    const backedOff = (await row()).effectivePeriodMs ?? 0;
    assert.ok(backedOff >= 8000);
    // Just after a safety-net read, so the next one is a backed-off period away and cannot take the change first.
    const lastRead = await lastReadAt();
    await waitUntil(async () => assert.notEqual(await lastReadAt(), lastRead), 60_000, 50);
    const requestsBefore = f.standIn.requests.length;
    f.standIn.store.update(PCK, CONN, MODEL, [{ id: 'T-3', title: 'announced by a webhook' }]);
    const body = nangoWebhookBody(syncSuccessPayload({ providerConfigKey: PCK, connectionId: CONN, model: MODEL, syncName: 'tickets' }));
    const response = await fetch(`${base}/webhooks/nango`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-nango-hmac-sha256': hmacSignature(SIGNING_KEY, body) },
    });
    assert.equal(response.status, 200);
    await waitUntil(converged, 60_000);
    // The rows are visible a moment before the job that wrote them is marked completed.
    const pull = await waitUntil(async () => {
      const pulled = (await f.queue.getCompleted()).filter((j) => j.data.trigger === 'webhook' && j.returnvalue?.records > 0);
      assert.equal(pulled.length, 1, 'the change came by the webhook pull, not by a safety-net read');
      return pulled[0]!;
    }, 30_000);
    // Until the pull was recorded, the stream was read once: the pull's one page.
    const reads = f.standIn.requests
      .slice(requestsBefore)
      .filter((r) => r.path.startsWith('/records') && r.at <= (pull.finishedOn ?? Date.now()));
    assert.equal(reads.length, 1, 'the announced change cost one request');
    const status = await row();
    assert.ok((status.effectivePeriodMs ?? 0) >= backedOff, `still backed off: ${status.effectivePeriodMs} >= ${backedOff}`);
    assert.match(status.pollingReason ?? '', /^idle: /, 'announced changes neither reset the backoff nor mark the webhooks missing');
  });

  test('changes no webhook announced keep the integration polling at `every`, and status says why', async () => {
    f.standIn.store.update(PCK, CONN, MODEL, [{ id: 'T-4', title: 'changed without a webhook' }]);
    // Found by the next safety-net read, a backed-off period away (the webhook's pull left the backoff as it was).
    await waitUntil(converged, 150_000);
    const status = await waitUntil(async () => {
      const s = await row();
      assert.match(s.pollingReason ?? '', /webhooks not arriving/);
      return s;
    });
    assert.equal(status.effectivePeriodMs, 1000);
    const after = (await emptyReads()) + 3;
    await waitUntil(async () => assert.ok((await emptyReads()) >= after, 'three more reads found nothing'), 60_000);
    assert.equal((await row()).effectivePeriodMs, 1000, 'empty reads do not back it off while webhooks are missing');
    let out = '';
    await statusCommand(
      f.db,
      { schema: 'nango', json: false },
      { stdout: { write: (s: string) => ((out += s), true) } as NodeJS.WritableStream },
    );
    assert.match(out, /helpdesk\/acme\/Ticket: webhooks not arriving: changes came that no webhook announced; polling every 1s/);
  });
});
