import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import type { LimiterChildConfig } from './limiter-child.js';

/** A child that has not answered by then is killed and the bench fails. */
const CHILD_TIMEOUT_MS = 60_000;

/**
 * Acquisitions per second of the shared Redis token bucket from `processes` processes with `callers`
 * concurrent callers each, all on one bucket, over `durationMs`. The bucket never runs dry.
 */
export async function limiterThroughput(options: {
  childPath: string;
  redisUrl: string;
  processes: number;
  callers: number;
  durationMs: number;
}): Promise<number> {
  const keyPrefix = `bench:ratelimit:${randomUUID()}:`;
  const config: LimiterChildConfig = {
    redisUrl: options.redisUrl,
    keyPrefix,
    key: 'bench',
    callers: options.callers,
    durationMs: options.durationMs,
  };
  const children = Array.from({ length: options.processes }, () => startChild(options.childPath, config));
  try {
    await Promise.all(children.map((c) => c.next()));
    for (const child of children) child.start();
    const results = await Promise.all(children.map((c) => c.next()));
    const granted = results.reduce<number>((sum, r) => sum + (r as { granted: number }).granted, 0);
    return granted / (options.durationMs / 1000);
  } finally {
    for (const child of children) child.kill();
    const redis = new Redis(options.redisUrl);
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  }
}

function startChild(childPath: string, config: LimiterChildConfig) {
  const child = spawn(process.execPath, [childPath, JSON.stringify(config)], {
    stdio: ['pipe', 'pipe', 'inherit'],
    timeout: CHILD_TIMEOUT_MS,
  });
  const lines = createInterface({ input: child.stdout });
  const messages: unknown[] = [];
  const waiters: ((message: unknown) => void)[] = [];
  lines.on('line', (line) => {
    const message: unknown = JSON.parse(line);
    const waiter = waiters.shift();
    if (waiter) waiter(message);
    else messages.push(message);
  });
  const exited = new Promise<never>((_, reject) => child.on('close', (code) => reject(new Error(`limiter child exited ${code}`))));
  exited.catch(() => {});
  return {
    next: (): Promise<unknown> =>
      Promise.race([messages.length > 0 ? Promise.resolve(messages.shift()) : new Promise((resolve) => waiters.push(resolve)), exited]),
    start: () => child.stdin.write('go\n'),
    kill: () => child.kill(),
  };
}
