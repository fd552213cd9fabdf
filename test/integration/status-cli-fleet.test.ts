import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { buildProgram, type CliRequest } from '../../src/cli/build-program.js';
import { statusCommand, type StatusCommandOptions } from '../../src/cli/status-command.js';
import { createDatabase } from '../../src/store/create-database.js';
import { migrateToLatest } from '../../src/store/migrate-to-latest.js';
import type { ReplicatorDatabase } from '../../src/store/replicator-tables.js';
import { runCliProcess } from '../helpers/run-cli-process.js';
import { seedFleetPolling } from '../helpers/seed-fleet-polling.js';
import { type SeededFleet, seedStreamFleet } from '../helpers/seed-stream-fleet.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

const CONNECTIONS = 10_000; // x 3 models = 30,000 streams

describe('status on a fleet of 30,000 streams', () => {
  let database: TestDatabase;
  let db: Kysely<ReplicatorDatabase>;
  let fleet: SeededFleet;

  before(async () => {
    database = await createTestDatabase('status_cli_fleet');
    db = createDatabase({ url: database.secretUrl });
    await migrateToLatest(db);
    fleet = await seedStreamFleet(db, CONNECTIONS);
  });

  after(async () => {
    await db?.destroy();
    await database?.drop();
  });

  async function run(options: Partial<StatusCommandOptions> = {}): Promise<string> {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (chunk: Buffer) => chunks.push(chunk));
    await statusCommand(db, { schema: 'nango', json: false, ...options }, { stdout: out });
    out.end();
    return Buffer.concat(chunks).toString('utf8');
  }

  /** The parsed command line of `status <args>`, as the entry point receives it. */
  async function parse(args: string[]): Promise<Extract<CliRequest, { command: 'status' }>> {
    let request: CliRequest | undefined;
    await buildProgram(async (r) => void (request = r), { writeOut: () => {}, writeErr: () => {} }).parseAsync(['status', ...args], {
      from: 'user',
    });
    assert.equal(request?.command, 'status');
    return request as Extract<CliRequest, { command: 'status' }>;
  }

  test('by default: a summary by state, then the 20 worst streams, failing first', async () => {
    const text = await run();
    assert.match(
      text,
      new RegExp(
        `^30,000 streams: ${fleet.fresh.toLocaleString('en-US')} fresh, ${fleet.lagging} lagging, ${fleet.failing} failing, ${fleet.never} never read\\.`,
      ),
    );
    const lines = text.split('\n').filter((l) => l.startsWith('crm '));
    assert.equal(lines.length, 20);
    assert.ok(
      lines.slice(0, fleet.failing).every((l) => / failing /.test(l) && /nango_unauthorized/.test(l)),
      lines.join('\n'),
    );
    const more = (await run({ limit: fleet.failing + 10 })).split('\n').filter((l) => l.startsWith('crm '));
    assert.ok(
      more.slice(fleet.failing).every((l) => /\slagging\s/.test(l)),
      `then the lagging ones:\n${more.join('\n')}`,
    );
  });

  test('filters by integration, connection, model, failing and lagging, and --limit', async () => {
    const one = await run({ filter: (await parse(['-i', 'crm', '-c', 'c-7'])).filter });
    assert.deepEqual(
      one
        .split('\n')
        .filter((l) => l.startsWith('crm '))
        .map((l) => l.split(/\s+/)[2]),
      ['Contact', 'Deal', 'Ticket'],
    );
    assert.match(one, /crm\s+c-7\s+Deal\s+failing/);

    const failing = await parse(['--failing', '-m', 'Deal', '--limit', '100']);
    const failingText = await run({ filter: failing.filter, limit: failing.limit });
    assert.equal(failingText.split('\n').filter((l) => l.startsWith('crm ')).length, fleet.failing);
    assert.match(failingText, new RegExp(`^${fleet.failing} streams: 0 fresh, 0 lagging, ${fleet.failing} failing`));

    const lagging = await parse(['--lagging', '4h', '--limit', '5']);
    assert.equal(lagging.filter.laggingMs, 4 * 3_600_000);
    const laggingText = await run({ filter: lagging.filter, limit: lagging.limit });
    assert.match(laggingText, /^\d[\d,]* streams:/);
    assert.equal(laggingText.split('\n').filter((l) => l.startsWith('crm ')).length, 5);

    assert.match(await run({ filter: { integration: 'nope' } }), /^No stream matches these filters\./);
  });

  test('bad option values are refused with what to write instead', async () => {
    await assert.rejects(parse(['--lagging', 'soon']), /must be a duration such as 90s, 30m, 2h or 1d/);
    await assert.rejects(parse(['--limit', '0']), /must be a whole number of at least 1/);
  });

  test('--json streams every stream as one JSON array, read in batches', async () => {
    const out = new PassThrough({ highWaterMark: 16 * 1024 });
    let text = '';
    let chunks = 0;
    out.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      chunks++;
    });
    const listed = await statusCommand(db, { schema: 'nango', json: true }, { stdout: out });
    out.end();
    assert.equal(listed, fleet.total);
    assert.ok(chunks > 10, `written as it was read (${chunks} writes)`);
    const streams = JSON.parse(text) as Array<{ id: string; state: string; rows: number; lastError: unknown }>;
    assert.equal(streams.length, fleet.total);
    assert.equal(new Set(streams.map((s) => s.id)).size, fleet.total, 'each stream once');
    assert.equal(streams.filter((s) => s.state === 'failing').length, fleet.failing);
    assert.equal(streams.filter((s) => s.state === 'never').length, fleet.never);
    assert.ok(streams.every((s) => typeof s.rows === 'number'));
  });

  test('the command line: status -i crm --failing --json, from the real entry point', async () => {
    const result = await runCliProcess(['status', '-i', 'crm', '--failing', '--json'], { DATABASE_URL: database.url, LOG_LEVEL: 'silent' });
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as unknown[]).length, fleet.failing);
  });

  test('--json with filters lists only the matching streams', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    await statusCommand(db, { schema: 'nango', json: true, filter: { state: 'failing' } }, { stdout: out });
    out.end();
    const streams = JSON.parse(text) as Array<{ connectionId: string; model: string }>;
    assert.equal(streams.length, fleet.failing);
    assert.ok(streams.every((s) => s.model === 'Deal'));
  });

  // Last: it changes the fleet (polling state, deleted connections) the tests above describe.
  test('the summary counts budget-limited and not-followed streams, and the requests adaptive polling saves', async () => {
    assert.doesNotMatch(await run(), /not followed/, 'no _nango_connections table yet: nothing said, nothing failed');
    const polling = await seedFleetPolling(db);
    const text = await run();
    assert.match(
      text,
      new RegExp(
        `\\nPolling: ${polling.budgetLimited} budget-limited \\(read less often than their period to fit the API budget\\); ` +
          `${polling.notFollowed} not followed \\(their connection deleted in Nango, or their variant gone\\); ` +
          `adaptive polling saves ${polling.requestsSavedPerMinute} requests a minute\\.\\n`,
      ),
    );
    const one = await run({ filter: { connection: 'c-10' }, limit: 5 });
    assert.match(
      one,
      /\nPolling: 3 budget-limited \(.*\); adaptive polling saves 3 requests a minute\.\n/,
      'the filter narrows every count',
    );
    assert.doesNotMatch(await run({ filter: { connection: 'c-30' }, limit: 5 }), /Polling:/, 'nothing to say: no line');
  });
});
