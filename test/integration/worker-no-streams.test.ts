import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { noStreamsMessage } from '../../src/cli/worker-command.js';
import { baseConfig, createWorkerFleet, type WorkerFleet } from '../helpers/worker-fleet.js';

describe('a worker with no streams configured', () => {
  let f: WorkerFleet;
  before(async () => {
    f = await createWorkerFleet('worker_no_streams');
  });
  after(() => f.close());

  test('says at start that it follows nothing, which file to fill in and how to choose another', async () => {
    f.writeConfig(baseConfig(f));
    const worker = f.spawnWorker();
    const line = JSON.parse(await worker.waitForLog(/no streams configured/)) as { level: number; msg: string; configPath: string };
    assert.equal(line.level, 40, 'a warning');
    assert.match(
      line.msg,
      /^no streams configured, so this worker replicates nothing: `streams:` is empty in .+\.yaml \(the file REPLICATOR_CONFIG names; default config\/replicator\.yaml\)\. List the integrations to follow under `streams:`/,
    );
    assert.equal(line.configPath, f.env.REPLICATOR_CONFIG);
    worker.child.kill('SIGINT');
    assert.equal((await worker.done).code, 0);
  });

  test('without a configuration file it says the default file is missing', () => {
    assert.match(
      noStreamsMessage(null),
      /there is no configuration file \(config\/replicator\.yaml not found; REPLICATOR_CONFIG names another\)/,
    );
  });
});
