import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { createScriptsConfigCache } from '../../src/nango/scripts-config-cache.js';
import type { NangoClient } from '../../src/nango/nango-client.js';
import { createCloseStack } from '../../src/util/close-stack.js';
import { forEachBounded } from '../../src/util/for-each-bounded.js';
import { captureLogger } from '../helpers/capture-logger.js';

describe('bounded concurrency', () => {
  test('never more than `limit` calls in flight, every item done once', async () => {
    let inFlight = 0;
    let most = 0;
    const seen: number[] = [];
    await forEachBounded(
      Array.from({ length: 100 }, (_, i) => i),
      7,
      async (item) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await sleep(1);
        seen.push(item);
        inFlight -= 1;
      },
    );
    assert.equal(most, 7);
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      Array.from({ length: 100 }, (_, i) => i),
    );
  });

  test('the first failure stops new calls and is what rejects', async () => {
    let started = 0;
    await assert.rejects(
      forEachBounded(
        Array.from({ length: 50 }, (_, i) => i),
        2,
        async (item) => {
          started += 1;
          await sleep(1);
          if (item === 3) throw new Error('item 3 failed');
        },
      ),
      /item 3 failed/,
    );
    assert.ok(started < 10, `${started} calls started`);
  });
});

describe('the close stack', () => {
  test('closes in reverse order, once, going on past a failure and abandoning a step that hangs', async () => {
    const { logger, text } = captureLogger('debug');
    const stack = createCloseStack(logger);
    const order: string[] = [];
    stack.push('postgres', () => void order.push('postgres'));
    stack.push('redis', () => {
      order.push('redis');
      throw new Error('already closed');
    });
    stack.push('http', () => new Promise(() => order.push('http'))); // never settles
    stack.push('worker', async () => void order.push('worker'));
    await Promise.all([stack.closeAll({ stepTimeoutMs: () => 50 }), stack.closeAll()]);
    assert.deepEqual(order, ['worker', 'http', 'redis', 'postgres']);
    assert.match(text(), /"resource":"http".*close took too long; abandoned/);
    assert.match(text(), /"resource":"redis".*close failed/);
    assert.throws(() => stack.push('late', () => undefined), /while closing/);
  });
});

describe('the /scripts/config cache', () => {
  test('concurrent callers share one request; a fresh read asks again; a failure is not cached', async () => {
    let calls = 0;
    let fail = false;
    const nango = {
      getScriptsConfig: async () => {
        calls += 1;
        await sleep(5);
        if (fail) throw new Error('Nango is down');
        return [{ call: calls }];
      },
    } as unknown as NangoClient;
    let now = 0;
    const cache = createScriptsConfigCache({ nango, now: () => now }, { maxAgeMs: 1000 });
    const results = await Promise.all(Array.from({ length: 10 }, () => cache.get()));
    assert.equal(calls, 1);
    assert.ok(results.every((r) => r === results[0]));
    now = 500;
    await cache.get();
    assert.equal(calls, 1, 'still fresh');
    await cache.get({ fresh: true });
    assert.equal(calls, 2);
    now = 5000;
    fail = true;
    await assert.rejects(cache.get(), /Nango is down/);
    fail = false;
    assert.deepEqual(await cache.get(), [{ call: 4 }]);
    const aborted = new AbortController();
    aborted.abort(new Error('caller gave up'));
    await assert.rejects(cache.get({ fresh: true, signal: aborted.signal }), /caller gave up/);
  });
});
