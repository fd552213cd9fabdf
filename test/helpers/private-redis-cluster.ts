import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from '../faults/free-port.js';
import { waitUntil } from './worker-fleet.js';

const run = promisify(execFile);

/** A Redis Cluster of this test's own: masters only, no persistence, in a temporary folder. */
export interface PrivateRedisCluster {
  /** `host:port,...` of every node, as REDIS_CLUSTER_NODES takes it. */
  nodes: string;
  ports: number[];
  /** Stops every server by its pid and removes the folder. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts `size` redis-server processes with `--cluster-enabled yes` on free local ports (and free bus ports, given
 * with `--cluster-port`), joins them with `redis-cli --cluster create`, and resolves once every node says
 * `cluster_state:ok`.
 */
export async function startPrivateRedisCluster(size = 3): Promise<PrivateRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'nr-redis-cluster-'));
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map((child) => stopChild(child)));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < size; i++) {
      const port = await freePort();
      const busPort = await freePort();
      ports.push(port);
      const args = [
        '--port',
        String(port),
        '--cluster-port',
        String(busPort),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
      ];
      children.push(spawn('redis-server', args, { cwd: dir, stdio: 'ignore' }));
    }
    for (const port of ports) await waitUntil(() => ping(port), 10_000, 50);
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    for (const port of ports) await waitUntil(() => clusterOk(port), 30_000, 100);
  } catch (error) {
    await stop();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return { nodes: ports.map((p) => `127.0.0.1:${p}`).join(','), ports, stop: () => (stopping ??= stop()) };
}

async function ping(port: number): Promise<void> {
  const client = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    if ((await client.ping()) !== 'PONG') throw new Error(`no PONG from ${port}`);
  } finally {
    client.disconnect();
  }
}

async function clusterOk(port: number): Promise<void> {
  const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'info']);
  if (!/cluster_state:ok/.test(stdout)) throw new Error(`node ${port}: ${stdout.split('\n')[0]}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await gone;
}
