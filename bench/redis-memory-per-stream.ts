// Measures the Redis memory a followed stream costs: a private redis-server (nothing else in it), one worker
// following N streams of the stand-in (one record each, read every hour), INFO memory's used_memory once every
// stream has been replicated once, for two N, and the keys per class (SCAN + MEMORY USAGE).
//   node --import tsx bench/redis-memory-per-stream.ts [N1] [N2]      (default 1000 2000)
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { startPrivateRedis } from '../test/faults/private-redis.js';
import { makeTicket, ticketJsonSchema } from '../test/helpers/ticket-model.js';
import { baseConfig, createWorkerFleet, waitUntil } from '../test/helpers/worker-fleet.js';

async function measure(
  streams: number,
): Promise<{ usedBytes: number; keys: number; classes: Map<string, { keys: number; bytes: number }> }> {
  const redisServer = await startPrivateRedis();
  const redis = new Redis(redisServer.url);
  const f = await createWorkerFleet('redis_memory');
  try {
    for (let i = 0; i < streams; i++) {
      f.standIn.store.addConnection({ providerConfigKey: 'crm', connectionId: `c${i}` });
      f.standIn.store.save('crm', `c${i}`, 'Ticket', [makeTicket(i)]);
    }
    f.standIn.store.deploySync({
      providerConfigKey: 'crm',
      name: 'tickets',
      models: [{ name: 'Ticket', jsonSchema: ticketJsonSchema }],
      runs: 'every hour',
    });
    f.writeConfig(
      baseConfig(f, {
        worker: '  concurrency: 16\n  slice: 2\n  lockDuration: 10s\n  shutdownTimeout: 10s\n  backoff: 100ms\n  attempts: 3',
      }).replace('every: 500ms', 'every: 10m') + 'streams:\n  - integration: crm\n    every: 1h\n',
    );
    await redis.memory('PURGE');
    const before = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
    const worker = f.spawnWorker({ REDIS_URL: redisServer.url });
    await waitUntil(
      async () => {
        const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM nango.ticket`.execute(f.db);
        if (Number(rows[0]?.n) !== streams) throw new Error(`${rows[0]?.n} of ${streams}`);
      },
      600_000,
      1000,
    );
    // Let the last jobs complete and their locks expire.
    await waitUntil(
      async () => {
        const active = await redis.eval(`return #redis.call('KEYS', ARGV[1])`, 0, `${f.keyPrefix}lock:*`);
        if (Number(active) !== 0) throw new Error('locks held');
      },
      60_000,
      500,
    );
    await redis.memory('PURGE');
    const after = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
    const classes = new Map<string, { keys: number; bytes: number }>();
    let keys = 0;
    for await (const batch of redis.scanStream({ count: 1000 })) {
      for (const key of batch as string[]) {
        keys++;
        const name = key.replace(/[0-9a-f]{8,}|c\d+|\d{10,}|:\d+(?=$|:)/g, '*');
        const entry = classes.get(name) ?? { keys: 0, bytes: 0 };
        entry.keys++;
        entry.bytes += Number(await redis.memory('USAGE', key, 'SAMPLES', '0'));
        classes.set(name, entry);
      }
    }
    worker.child.kill('SIGTERM');
    await worker.done;
    return { usedBytes: after - before, keys, classes };
  } finally {
    redis.disconnect();
    await f.close();
    await redisServer.kill();
  }
}

const counts = process.argv.slice(2).map(Number);
const [n1, n2] = counts.length === 2 ? counts : [1000, 2000];
const a = await measure(n1!);
const b = await measure(n2!);
for (const [n, m] of [
  [n1, a],
  [n2, b],
] as const) {
  console.log(`${n} streams: used_memory +${(m.usedBytes / 1024 / 1024).toFixed(2)} MiB, ${m.keys} keys`);
  for (const [name, c] of [...m.classes].sort((x, y) => y[1].bytes - x[1].bytes).slice(0, 12)) {
    console.log(`  ${name}: ${c.keys} keys, ${(c.bytes / 1024).toFixed(0)} KiB`);
  }
}
console.log(`per stream, from ${n1} to ${n2}: ${((b.usedBytes - a.usedBytes) / (n2! - n1!)).toFixed(0)} bytes`);
