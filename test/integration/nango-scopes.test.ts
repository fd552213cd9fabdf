import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NANGO_SCOPES } from '../../src/nango/nango-scopes.js';
import { startNangoStandIn } from '../../stand-in/nango-stand-in.js';
import { assertMatchesSource } from '../helpers/assert-matches-source.js';
import { seedTickets, TEST_SECRET_KEY, TICKETS } from '../helpers/replication-fixture.js';
import { runCliProcess } from '../helpers/run-cli-process.js';
import { ticketJsonSchema } from '../helpers/ticket-model.js';
import { baseConfig, createWorkerFleet, waitUntil, type WorkerFleet } from '../helpers/worker-fleet.js';

const { providerConfigKey: PCK, connectionId: CONN, model: MODEL } = TICKETS;
/** What the README's Security section lists for sync, worker (following variants, the default) and backfill, without prune. */
const MINIMAL = [
  'environment:records:read',
  'environment:connections:list',
  'environment:integrations:list_functions',
  'environment:syncs:read',
];
const SYNC = ['sync', '--integration', PCK, '--connection', CONN, '--model', MODEL];

describe('a scoped Nango API key: the smallest set of scopes works, a missing one is named', () => {
  let f: WorkerFleet;
  before(async () => {
    f = await createWorkerFleet('nango_scopes', { scopes: MINIMAL });
    f.standIn.store.addConnection({ providerConfigKey: PCK, connectionId: CONN });
    f.standIn.store.deploySync({
      providerConfigKey: PCK,
      name: 'tickets',
      models: [{ name: MODEL, jsonSchema: ticketJsonSchema }],
      runs: 'every hour',
    });
    seedTickets(f.standIn, 0, 50);
  });
  after(async () => {
    await f.close();
  });

  test('the README table and the scopes used here agree', () => {
    for (const scope of MINIMAL)
      assert.ok(
        NANGO_SCOPES.some((s) => s.scope === scope),
        scope,
      );
  });

  test('with records:read, connections:list, integrations:list_functions and syncs:read, sync and a worker following "*" converge', async () => {
    f.writeConfig(`${baseConfig(f)}streams:\n  - integration: ${PCK}\n`);
    const result = await runCliProcess(SYNC, { ...f.env, LOG_LEVEL: 'silent' });
    assert.equal(result.code, 0, result.stderr);
    seedTickets(f.standIn, 100, 10);
    f.spawnWorker();
    await waitUntil(async () => assertMatchesSource(await f.rows('ticket', CONN), f.standIn.store.snapshot(PCK, CONN, MODEL)), 60_000);
    assert.ok(!f.standIn.requests.some((r) => r.status === 403), 'no request was refused');
  });

  test('a key without environment:syncs:read: the worker replicates the plain syncs and says once why variants are not looked up', async () => {
    const fleet = await createWorkerFleet('nango_scopes_variants', { scopes: MINIMAL.filter((s) => s !== 'environment:syncs:read') });
    try {
      fleet.standIn.store.addConnection({ providerConfigKey: PCK, connectionId: CONN });
      fleet.standIn.store.deploySync({
        providerConfigKey: PCK,
        name: 'tickets',
        models: [{ name: MODEL, jsonSchema: ticketJsonSchema }],
        runs: 'every hour',
      });
      seedTickets(fleet.standIn, 0, 10);
      fleet.writeConfig(`${baseConfig(fleet)}streams:\n  - integration: ${PCK}\n`);
      const worker = fleet.spawnWorker();
      const line = await worker.waitForLog(/GET \/sync\/status failed or was too slow: the variants already known stay followed/, 60_000);
      assert.match(line, /environment:syncs:read/);
      assert.match(line, /variants: \[base\]/);
      await waitUntil(
        async () => assertMatchesSource(await fleet.rows('ticket', CONN), fleet.standIn.store.snapshot(PCK, CONN, MODEL)),
        60_000,
      );
    } finally {
      await fleet.close();
    }
  });

  for (const missing of ['environment:records:read', 'environment:integrations:list_functions']) {
    test(`a key without ${missing}: sync fails naming the scope, the request and where to add it`, async () => {
      const standIn = await startNangoStandIn({ secretKey: TEST_SECRET_KEY, scopes: MINIMAL.filter((s) => s !== missing) });
      try {
        standIn.store.addConnection({ providerConfigKey: PCK, connectionId: CONN });
        standIn.store.deploySync({
          providerConfigKey: PCK,
          name: 'tickets',
          models: [{ name: MODEL, jsonSchema: ticketJsonSchema }],
          runs: 'every hour',
        });
        seedTickets(standIn, 0, 5);
        const result = await runCliProcess(SYNC, { ...f.env, NANGO_HOST: standIn.url, LOG_LEVEL: 'silent' });
        assert.equal(result.code, 1, result.stderr);
        assert.match(
          result.stderr,
          new RegExp(`nango_forbidden: The Nango API key \\(NANGO_SECRET_KEY\\) lacks the scope ${missing}, needed for `),
        );
        assert.match(result.stderr, new RegExp(`Add ${missing} to the key in Nango \\(Environment Settings > API keys\\)`));
        assert.match(result.stderr, /answered 403 forbidden: Insufficient scope\. Required: /);
        assert.doesNotMatch(result.stderr + result.stdout, new RegExp(TEST_SECRET_KEY));
      } finally {
        await standIn.close();
      }
    });
  }
});
