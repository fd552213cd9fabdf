import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { statusCommand } from '../../src/cli/status-command.js';
import { listStreamStatus, type StreamStatus } from '../../src/store/list-stream-status.js';
import { TICKETS } from '../helpers/replication-fixture.js';
import { makeTicket, ticketJsonSchema } from '../helpers/ticket-model.js';
import { baseConfig, createWorkerFleet, type SpawnedWorker, waitUntil, type WorkerFleet } from '../helpers/worker-fleet.js';

const { providerConfigKey: PCK, model: MODEL } = TICKETS;
const SAME = 'c-same';
const FEWER_HERE = 'c-fewer-here';
const MORE_THERE = 'c-more-there';
const SEEDED = 200;

describe("Nango's recordCount beside the live rows (read by the syncStatus hints)", () => {
  let f: WorkerFleet;
  let worker: SpawnedWorker;

  const byConnection = async () => new Map((await listStreamStatus(f.db, { schema: 'nango' })).map((s) => [s.connectionId, s]));
  async function statusText(json: boolean): Promise<string> {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (chunk: Buffer) => chunks.push(chunk));
    await statusCommand(f.db, { schema: 'nango', json }, { stdout: out });
    out.end();
    return Buffer.concat(chunks).toString('utf8');
  }
  const pageRow = (html: string, connectionId: string) =>
    new RegExp(`<tr class="stream [^"]*" data-stream="${PCK}/${connectionId}/${MODEL}">.*?</tr>`).exec(html)?.[0] ?? '';

  before(async () => {
    f = await createWorkerFleet('status_nango_counts');
    f.standIn.store.deploySync({ providerConfigKey: PCK, name: 'tickets', models: [{ name: MODEL, jsonSchema: ticketJsonSchema }] });
    for (const connectionId of [SAME, FEWER_HERE, MORE_THERE]) {
      f.standIn.store.addConnection({ providerConfigKey: PCK, connectionId });
      f.standIn.store.save(
        PCK,
        connectionId,
        MODEL,
        Array.from({ length: SEEDED }, (_, n) => makeTicket(n)),
      );
    }
    // Read once, then not again for an hour: what the stand-in holds later stays unread.
    f.writeConfig(
      `${baseConfig(f)}syncStatus:\n  every: 300ms\n  timeout: 5s\n` +
        `streams:\n  - integration: ${PCK}\n    models: [${MODEL}]\n    every: 1h\n    safetyNet: 1h\n    detection: syncStatus\n`,
    );
    worker = f.spawnWorker();
    await waitUntil(async () => {
      const streams = await byConnection();
      for (const c of [SAME, FEWER_HERE, MORE_THERE]) {
        assert.equal(streams.get(c)?.rows, SEEDED, `${c} read`);
        assert.equal(streams.get(c)?.nangoRecordCount, SEEDED, `${c}: Nango's count read`);
      }
    }, 90_000);
  });
  after(async () => {
    await f?.close();
  });

  test('a stream whose rows match Nango\'s count shows "Nango: N" and no flag', async () => {
    const same = (await byConnection()).get(SAME)!;
    assert.equal(same.countsDiffer, false);
    assert.ok(same.nangoRecordCountAt instanceof Date);
    assert.match(await statusText(false), new RegExp(`${SAME}\\s+${MODEL}\\s+\\S+\\s+200 \\(Nango: 200\\)\\s`));
  });

  test('rows deleted here by hand, or records Nango holds unread, flag the stream in status --json and on the status page', async () => {
    await sql`DELETE FROM nango.ticket WHERE _nango_connection_id = ${FEWER_HERE} AND id IN ('T-1', 'T-2', 'T-3')`.execute(f.db);
    f.standIn.store.save(
      PCK,
      MORE_THERE,
      MODEL,
      Array.from({ length: 10 }, (_, n) => makeTicket(SEEDED + n)),
    );
    await waitUntil(async () => assert.equal((await byConnection()).get(MORE_THERE)?.nangoRecordCount, SEEDED + 10), 30_000);

    const json = JSON.parse(await statusText(true)) as Array<Record<string, unknown>>;
    const entry = (c: string) => json.find((s) => s.connectionId === c)!;
    assert.deepEqual(
      [SAME, FEWER_HERE, MORE_THERE].map((c) => [c, entry(c).rows, entry(c).nangoRecordCount, entry(c).countsDiffer]),
      [
        [SAME, 200, 200, false],
        [FEWER_HERE, 197, 200, true],
        [MORE_THERE, 200, 210, true],
      ],
    );
    assert.equal(typeof entry(SAME).nangoRecordCountAt, 'string');

    const text = await statusText(false);
    assert.match(text, new RegExp(`${FEWER_HERE}\\s+${MODEL}\\s+\\S+\\s+197 \\(Nango: 200 !\\)`));
    assert.match(text, /Row counts that differ from Nango's record count by more than 1% \(a hint: Nango's count ignores variants\):/);
    assert.match(text, new RegExp(`${PCK}/${MORE_THERE}/${MODEL}: 200 rows here, Nango: 210`));

    const html = await (await fetch(`http://127.0.0.1:${await worker.adminPort()}/`)).text();
    assert.match(pageRow(html, FEWER_HERE), /Nango: 200.*class="counts-differ"/);
    assert.match(pageRow(html, MORE_THERE), /Nango: 210.*class="counts-differ"/);
    assert.match(pageRow(html, SAME), /Nango: 200/);
    assert.doesNotMatch(pageRow(html, SAME), /counts-differ/);
    assert.match(html, /<strong>2<\/strong>counts differ from Nango/);
  });

  test('an unchanged count is not written again', async () => {
    const at = (s: StreamStatus | undefined) => s?.nangoRecordCountAt?.getTime();
    const before = at((await byConnection()).get(SAME));
    const hints = f.standIn.requests.filter((r) => r.path.startsWith('/sync/status')).length;
    await waitUntil(() => assert.ok(f.standIn.requests.filter((r) => r.path.startsWith('/sync/status')).length >= hints + 3), 30_000);
    assert.equal(at((await byConnection()).get(SAME)), before);
  });
});
