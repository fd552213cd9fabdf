import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createReplicationFixture,
  type ReplicationFixture,
  seedTickets,
  TEST_SECRET_KEY,
  TICKETS,
} from '../helpers/replication-fixture.js';
import { runCliInTerminal } from '../helpers/run-cli-in-terminal.js';
import { waitUntil } from '../helpers/worker-fleet.js';

const STREAM_ARGS = ['--integration', TICKETS.providerConfigKey, '--connection', TICKETS.connectionId, '--model', TICKETS.model];
/** The live line sync draws on a terminal, e.g. `helpdesk/acme/Ticket: page 2, 200 records (1,234/s), ...`. */
const PROGRESS = /helpdesk\/acme\/Ticket: page (\d+), ([\d,]+) records? \(([\d,]+\/s|-)\), [\d,]+ upserted, [\d,]+ deleted/;

describe('the command line on a terminal', () => {
  let f: ReplicationFixture;
  let env: Record<string, string>;
  before(async () => {
    f = await createReplicationFixture('cli_terminal');
    env = { NANGO_SECRET_KEY: TEST_SECRET_KEY, NANGO_HOST: f.standIn.url, DATABASE_URL: f.database.url };
  });
  after(async () => {
    await f.close();
  });

  test('sync draws a live progress line, clears it, and prints the summary; routine logs stay out of the way', async () => {
    seedTickets(f.standIn, 0, 230);
    const session = runCliInTerminal(['sync', ...STREAM_ARGS, '--page-size', '100'], env);
    const { code, screen } = await session.done;
    assert.equal(code, 0, screen);
    // The live line is drawn after each committed write, each time over the last one...
    const drawn = [...session.raw().matchAll(new RegExp(PROGRESS, 'g'))];
    assert.ok(drawn.length > 0, `a live progress line:\n${screen}`);
    assert.equal(drawn.at(-1)?.[2], '230', 'its last state counts every record');
    // ...and erased (carriage return, erase line) before the summary, which stays.
    assert.match(
      session.raw(),
      // eslint-disable-next-line no-control-regex -- the live line's erase sequence
      /\r\x1b\[Khelpdesk\/acme\/Ticket: 3 pages, 230 records, 230 upserted, 0 deleted, 0 value errors in .* \(up to date\)/,
    );
    assert.doesNotMatch(screen, /\bINFO\b/, 'no info log blocks at the default level on a terminal');
    assert.doesNotMatch(screen, /stream\.on is not a function|error:/);
  });

  test('LOG_LEVEL still wins on a terminal, and the log lines are readable, not JSON', async () => {
    const { code, screen } = await runCliInTerminal(['sync', ...STREAM_ARGS], { ...env, LOG_LEVEL: 'info' }).done;
    assert.equal(code, 0, screen);
    assert.match(screen, /^\[\d\d:\d\d:\d\d\] INFO: /m);
    assert.doesNotMatch(screen, /"level":/);
    assert.match(screen, /helpdesk\/acme\/Ticket: \d+ pages?, 0 records, .*\(up to date\)/);
  });

  test('a single record is "1 record", not "1 records"', async () => {
    seedTickets(f.standIn, 230, 1);
    const { code, screen } = await runCliInTerminal(['sync', ...STREAM_ARGS], env).done;
    assert.equal(code, 0, screen);
    assert.match(screen, /helpdesk\/acme\/Ticket: 1 page, 1 record, 1 upserted, 0 deleted, 0 value errors in /);
  });

  test('status and migrate print their tables and exit 0', async () => {
    const status = await runCliInTerminal(['status'], env).done;
    assert.equal(status.code, 0, status.screen);
    assert.match(status.screen, /^INTEGRATION +CONNECTION +MODEL +STATE +ROWS/m);
    assert.match(status.screen, /^helpdesk +acme +Ticket +fresh +231 /m);
    const migrate = await runCliInTerminal(['migrate'], env).done;
    assert.equal(migrate.code, 0, migrate.screen);
    assert.match(migrate.screen, /Already up to date\./);
  });

  test('--version prints the version of package.json', async () => {
    const { code, screen } = await runCliInTerminal(['--version'], {}).done;
    assert.equal(code, 0, screen);
    assert.equal(screen.trim(), '0.1.0');
  });

  test('Ctrl-C stops a sync and says so through the logger; the summary tells how to go on', async () => {
    const asked = f.standIn.requests.length;
    f.standIn.faults.delayNext(1, 60_000, { pathPrefix: '/records' }); // the page never comes until the stop
    const session = runCliInTerminal(['sync', ...STREAM_ARGS, '--full'], env);
    await waitUntil(() => assert.ok(f.standIn.requests.slice(asked).some((r) => r.path.startsWith('/records'))));
    session.type('\x03');
    const { code, screen } = await session.done;
    assert.match(screen, /WARN: SIGINT received: finishing the page in flight, then stopping \(send it again to exit at once\)/);
    assert.match(screen, /helpdesk\/acme\/Ticket: 0 pages, 0 records, .*\(stopped before the end; run again to continue\)/);
    assert.equal(code, 0, screen);
  });

  test('Ctrl-C while the model is still looked up stops the sync; it is no failure of the stream', async () => {
    const asked = f.standIn.requests.length;
    f.standIn.faults.delayNext(1, 60_000, { pathPrefix: '/scripts/config' });
    const session = runCliInTerminal(['sync', ...STREAM_ARGS], env);
    await waitUntil(() => assert.ok(f.standIn.requests.slice(asked).some((r) => r.path.startsWith('/scripts/config'))));
    session.type('\x03');
    const { code, screen } = await session.done;
    assert.match(screen, /helpdesk\/acme\/Ticket: stopped before anything was read/);
    assert.doesNotMatch(screen, /failed|unexpected/);
    assert.equal(code, 0, screen);
  });
});
