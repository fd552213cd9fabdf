import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';

/** A redis-server of the suite's own, without persistence: a restart brings it back empty. */
export interface PrivateRedis {
  port: number;
  url: string;
  /** SIGKILL, resolved once the process is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty; resolves when it answers PING. */
  start(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    child = started;
    const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      for (let i = 0; i < 200; i++) {
        if (started.exitCode !== null) throw new Error(`redis-server on port ${port} exited with ${started.exitCode}`);
        try {
          if (probe.status !== 'ready') await probe.connect();
          if ((await probe.ping()) === 'PONG') return;
        } catch {
          probe.disconnect();
          await sleep(50);
        }
      }
      throw new Error(`redis-server on port ${port} did not answer`);
    } finally {
      probe.disconnect();
    }
  };
  const kill = async () => {
    const running = child;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGKILL');
    await gone;
  };
  await start();
  return { port, url: `redis://127.0.0.1:${port}`, kill, start };
}
