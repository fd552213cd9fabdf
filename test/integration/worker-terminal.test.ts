import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { seedTickets, TICKETS } from '../helpers/replication-fixture.js';
import { runCliInTerminal } from '../helpers/run-cli-in-terminal.js';
import { ticketJsonSchema } from '../helpers/ticket-model.js';
import { baseConfig, createWorkerFleet, type WorkerFleet } from '../helpers/worker-fleet.js';

const { providerConfigKey: PCK, connectionId: CONN, model: MODEL } = TICKETS;

describe('the worker and backfill --wait on a terminal', () => {
  let f: WorkerFleet;
  /** The fleet's environment without its LOG_LEVEL: the defaults a user gets. */
  let env: Record<string, string>;
  before(async () => {
    f = await createWorkerFleet('worker_terminal');
    f.standIn.store.addConnection({ providerConfigKey: PCK, connectionId: CONN });
    f.standIn.store.deploySync({
      providerConfigKey: PCK,
      name: 'tickets',
      models: [{ name: MODEL, jsonSchema: ticketJsonSchema }],
      runs: 'every hour',
    });
    seedTickets(f.standIn, 0, 200);
    f.writeConfig(baseConfig(f));
    const { LOG_LEVEL: _level, ...rest } = f.env;
    env = rest;
  });
  after(async () => {
    await f.close();
  });

  test('the worker logs readable lines, serves its status page on the admin door, and Ctrl-C drains it to exit 0', async () => {
    const session = runCliInTerminal(['worker'], env);
    const started = await session.waitFor(/INFO: worker started[^]*?adminPort: (\d+)/);
    const port = Number(/INFO: worker started[^]*?adminPort: (\d+)/.exec(started)?.[1]);
    const page = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<html/i);
    session.type('\x03');
    const { code, screen } = await session.done;
    assert.equal(code, 0, screen);
    assert.match(screen, /INFO: SIGINT received: finishing the page in flight, then stopping \(send it again to exit at once\)/);
    assert.match(screen, /INFO: worker stopped/);
    assert.doesNotMatch(screen, /"level":/, 'no JSON on a terminal');
    assert.doesNotMatch(screen, /FSTDEP023|DeprecationWarning|FastifyDeprecation/);
  });

  test('without a terminal the stop notice is a JSON log line, and fastify prints no deprecation warning', async () => {
    const worker = f.spawnWorker({ LOG_LEVEL: 'info' });
    await worker.waitForLog(/"msg":"worker started"/);
    worker.child.kill('SIGTERM');
    const { code } = await worker.done;
    assert.equal(code, 0, worker.stderr());
    const notice = JSON.parse(await worker.waitForLog(/"msg":"SIGTERM received/)) as { level: number; signal: string; msg: string };
    assert.equal(notice.signal, 'SIGTERM');
    assert.equal(notice.msg, 'SIGTERM received: finishing the page in flight, then stopping (send it again to exit at once)');
    for (const line of worker
      .stderr()
      .split('\n')
      .filter((l) => l !== ''))
      assert.doesNotThrow(() => JSON.parse(line), `not JSON: ${line}`);
    assert.doesNotMatch(worker.stderr(), /FSTDEP023/);
  });

  test('backfill --wait draws a live line with a real rate, then prints the summary and exits 0', async () => {
    f.spawnWorker();
    f.standIn.faults.delayNext(10, 400, { pathPrefix: '/records' }); // ten pages of 20, slow enough to watch
    const session = runCliInTerminal(['backfill', '--integration', PCK, '--connection', CONN, '--model', MODEL, '--wait'], env);
    const { code, screen } = await session.done;
    assert.equal(code, 0, screen);
    assert.match(screen, /^Backfill (\d+) queued on nango-backfill: helpdesk, connection acme, model Ticket, mode merge$/m);
    const rates = [
      ...session.raw().matchAll(/backfill \d+: 0\/1 streams done, 1 running, [\d,]+ pages?, [\d,]+ records? \(([\d,]+)\/s\)/g),
    ];
    assert.ok(
      rates.some((m) => Number(m[1]?.replace(/,/g, '')) > 0),
      `a live line with a rate above 0/s:\n${screen}`,
    );
    // eslint-disable-next-line no-control-regex -- the live line's erase sequence
    assert.match(session.raw(), /\r\x1b\[KBackfill \d+ completed\./, 'the live line is erased before the summary');
    assert.match(screen, /^1 stream \(1 merged\): 10 pages, 200 records, 200 upserted, 0 deleted by Nango, 0 deleted as unseen$/m);
    assert.doesNotMatch(screen, /\bINFO\b/);
  });
});
