import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createRedisRequestGate } from '../../src/ratelimit/redis-request-gate.js';
import { useRedisTestPrefix } from '../helpers/redis-test-prefix.js';
import { waitUntil } from '../helpers/worker-fleet.js';

const REDIS_HOST = '127.0.0.1';
const REDIS_PORT = Number(process.env.REDIS_PORT ?? 6379);
const { prefix: PREFIX } = useRedisTestPrefix('ratelimit-outage', { url: `redis://${REDIS_HOST}:${REDIS_PORT}` });

/** A TCP hop in front of Redis that can be switched on and off, to make Redis unreachable for one client. */
function redisProxy(port: number) {
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  return {
    port,
    async start(): Promise<void> {
      server = createServer((client) => {
        const upstream = connect(REDIS_PORT, REDIS_HOST);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('error', () => socket.destroy());
          socket.on('close', () => sockets.delete(socket));
        }
        client.pipe(upstream).pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      await new Promise<void>((resolve) => server?.listen(port, REDIS_HOST, resolve));
    },
    async stop(): Promise<void> {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      server = undefined;
    },
  };
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, REDIS_HOST, resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}

function unreachableGate(port: number) {
  const client = new Redis(port, REDIS_HOST, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  client.on('error', () => undefined); // connection errors are expected here
  const attempts = { reconnecting: 0 };
  client.on('reconnecting', () => void (attempts.reconnecting += 1));
  const warnings: string[] = [];
  const infos: string[] = [];
  const gate = createRedisRequestGate(
    { redis: client, logger: { warn: (_obj, msg) => warnings.push(msg), info: (_obj, msg) => infos.push(msg) } },
    { key: `outage-${port}`, keyPrefix: PREFIX, requestsPerMinute: 600, share: 1 },
  );
  return { client, gate, warnings, infos, attempts };
}

describe('the Redis request gate while Redis is unreachable', () => {
  it('grants nothing until Redis answers again, then grants', async () => {
    const proxy = redisProxy(await freePort());
    const { client, gate, warnings, infos, attempts } = unreachableGate(proxy.port);
    let granted = false;
    const waiting = gate.acquire().then(() => {
      granted = true;
    });
    // Not a fixed time but evidence of one: the gate has seen Redis fail, and the client has retried several times.
    await waitUntil(
      () => assert.ok(warnings.length > 0 && attempts.reconnecting >= 5, `reconnecting ${attempts.reconnecting}`),
      10_000,
      20,
    );
    assert.equal(granted, false, 'no grant while Redis is down (failing open would spend the budget blind)');
    assert.equal(gate.stats().granted, 0);
    assert.ok(
      warnings.some((m) => /Redis unavailable/.test(m)),
      'the outage is logged',
    );
    await proxy.start();
    await waiting;
    assert.equal(gate.stats().granted, 1);
    assert.ok(
      infos.some((m) => /answers again/.test(m)),
      'the recovery is logged',
    );
    client.disconnect();
    await proxy.stop();
  });

  it("rejects a waiting acquire with the signal's reason when it aborts", async () => {
    const { client, gate, warnings } = unreachableGate(await freePort());
    const controller = new AbortController();
    const reason = new Error('shutting down');
    const waiting = gate.acquire(controller.signal);
    await waitUntil(
      () =>
        assert.ok(
          warnings.some((m) => /Redis unavailable/.test(m)),
          'the gate has not met the outage yet',
        ),
      10_000,
      20,
    );
    controller.abort(reason);
    await assert.rejects(waiting, (error) => error === reason);
    assert.equal(gate.stats().granted, 0);
    client.disconnect();
  });

  it('resolves observe() and logs, rather than failing the request that was observed', async () => {
    const { client, gate, warnings } = unreachableGate(await freePort());
    await gate.observe({ status: 429, retryAfterSeconds: 5 });
    assert.equal(gate.stats().tooManyRequests, 1);
    assert.ok(warnings.some((m) => /could not record/.test(m)));
    client.disconnect();
  });
});
