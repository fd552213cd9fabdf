import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Queue } from 'bullmq';
import { Cluster } from 'ioredis';
import { SYNC_QUEUE } from '../../src/jobs/queue/queue-names.js';
import { bucketKeys } from '../../src/ratelimit/bucket-scripts.js';
import { assertMatchesSource } from '../helpers/assert-matches-source.js';
import { startPrivateRedisCluster, type PrivateRedisCluster } from '../helpers/private-redis-cluster.js';
import { makeTicket, ticketJsonSchema } from '../helpers/ticket-model.js';
import { baseConfig, createWorkerFleet, type SpawnedWorker, waitUntil, type WorkerFleet } from '../helpers/worker-fleet.js';

const PCK = 'helpdesk';
const CONNECTIONS = ['acme', 'globex', 'initech'];
const MODELS = [
  { name: 'Ticket', table: 'ticket' },
  { name: 'Escalation', table: 'escalation' },
] as const;

describe('a worker fleet on a three-node Redis Cluster', () => {
  let f: WorkerFleet;
  let cluster: PrivateRedisCluster;
  let client: Cluster;
  let workers: SpawnedWorker[] = [];
  const queuePrefix = () => `{${f.queuePrefix}}`;
  const converged = async () => {
    for (const connectionId of CONNECTIONS) {
      for (const model of MODELS) {
        assertMatchesSource(await f.rows(model.table, connectionId), f.standIn.store.snapshot(PCK, connectionId, model.name));
      }
    }
  };

  before(async () => {
    cluster = await startPrivateRedisCluster(3);
    client = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
    f = await createWorkerFleet('redis_cluster');
    for (const connectionId of CONNECTIONS) f.standIn.store.addConnection({ providerConfigKey: PCK, connectionId });
    f.standIn.store.deploySync({
      providerConfigKey: PCK,
      name: 'tickets',
      models: MODELS.map((m) => ({ name: m.name, jsonSchema: ticketJsonSchema })),
      runs: 'every 5 minutes',
    });
    for (const connectionId of CONNECTIONS) {
      for (const model of MODELS)
        f.standIn.store.save(
          PCK,
          connectionId,
          model.name,
          Array.from({ length: 45 }, (_, n) => makeTicket(n)),
        );
    }
    // BullMQ's keys under a hash tag, as a cluster needs; the replicator's own keys as they are.
    f.writeConfig(
      `${baseConfig({ queuePrefix: `"${queuePrefix()}"`, keyPrefix: f.keyPrefix })}streams:\n  - integration: ${PCK}\n    every: 1s\n`,
    );
  });
  after(async () => {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.done));
    client?.disconnect();
    await f?.close();
    await cluster?.stop();
  });

  test('two workers converge, keep following changes, and stop cleanly', async () => {
    const env = { REDIS_CLUSTER_NODES: cluster.nodes, REDIS_URL: `redis://127.0.0.1:${cluster.ports[0]}` };
    workers = [f.spawnWorker(env), f.spawnWorker(env)];
    for (const worker of workers) await worker.waitForLog(/"msg":"worker started"/, 60_000);
    await waitUntil(converged, 120_000, 500);

    f.standIn.store.update(PCK, 'globex', 'Ticket', [{ id: 'T-7', title: 'changed on the cluster' }]);
    await waitUntil(converged, 60_000, 500);

    // One job scheduler per stream, in the cluster's BullMQ keys; the account limit Nango reports, in the bucket's slot.
    const queue = new Queue(SYNC_QUEUE, { connection: client.duplicate(), prefix: queuePrefix() });
    try {
      assert.equal((await queue.getJobSchedulers(0, -1, true)).length, CONNECTIONS.length * MODELS.length);
    } finally {
      await queue.close();
      await queue.disconnect();
    }
    const limitKey = bucketKeys(`${f.keyPrefix}ratelimit:`, f.keyPrefix.replace(/:$/, '')).accountLimit;
    assert.equal(await client.get(limitKey), '1000000', 'the stand-in reports no real limit: 1,000,000');
    // The replicator's own keys (leases, the bucket under its {tag}, locks) are not all under one hash tag: they
    // spread over slots, hence over nodes as the cluster assigns them (which node holds a given slot is the cluster's
    // choice, so this counts slots, not nodes).
    const ownKeys = (await Promise.all(client.nodes('master').map((node) => node.keys(`${f.keyPrefix}*`)))).flat();
    const slots = new Set(await Promise.all(ownKeys.map(async (key) => Number(await client.cluster('KEYSLOT', key)))));
    assert.ok(slots.size >= 2, `the replicator's keys spread over slots: ${ownKeys.join(', ')}`);

    for (const worker of workers) worker.child.kill('SIGTERM');
    for (const worker of workers) assert.equal((await worker.done).code, 0, worker.stderr().slice(-3000));
    for (const worker of workers) assert.doesNotMatch(worker.stderr(), /CROSSSLOT|MOVED|ClusterAllFailedError/);
  });
});
