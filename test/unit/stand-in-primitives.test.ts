import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { deepMerge } from '../../stand-in/deep-merge.js';
import { createMicroClock } from '../../stand-in/micro-clock.js';
import { mulberry32 } from '../../stand-in/mulberry32.js';
import { formatPgTimestamp, parseIsoToMicros } from '../../stand-in/pg-timestamp.js';
import { parseQueryString } from '../../stand-in/query-string.js';
import { createRateLimitWindow, rateLimitHeaders } from '../../stand-in/rate-limit-window.js';
import { decodeCursor, encodeCursor } from '../../stand-in/record-cursor.js';
import { recordUuid } from '../../stand-in/record-uuid.js';
import { stableHash } from '../../stand-in/stable-hash.js';
import { NIL_UUID, uuidV5 } from '../../stand-in/uuid-v5.js';

describe('stand-in primitives', () => {
  it('uuid v5 matches the RFC 4122 reference value', () => {
    assert.equal(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'), '2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('record uuid is uuid v5 of connectionPk+model+id in the connectionPk+model namespace', () => {
    const namespace = uuidV5('7GithubIssue', NIL_UUID);
    assert.equal(recordUuid(7, 'GithubIssue', '42'), uuidV5('7GithubIssue42', namespace));
    assert.notEqual(recordUuid(7, 'GithubIssue', '42'), recordUuid(8, 'GithubIssue', '42'));
  });

  it('timestamps render like Postgres to_json: trailing zeros trimmed, zero fraction omitted', () => {
    const base = Date.UTC(2024, 2, 4, 6, 59, 51) * 1000;
    assert.equal(formatPgTimestamp(base + 471441), '2024-03-04T06:59:51.471441+00:00');
    assert.equal(formatPgTimestamp(base + 471440), '2024-03-04T06:59:51.47144+00:00');
    assert.equal(formatPgTimestamp(base), '2024-03-04T06:59:51+00:00');
  });

  it('ISO timestamps with offsets parse to the same instant in microseconds', () => {
    const utc = parseIsoToMicros('2024-03-04T11:59:51.471441Z');
    assert.equal(parseIsoToMicros('2024-03-04T06:59:51.471441-05:00'), utc);
    assert.equal(parseIsoToMicros('2024-03-04T11:59:51.4714414+00:00'), utc);
    assert.equal(parseIsoToMicros('2024-03-04'), undefined);
  });

  it('the cursor is base64 of "<ts>||<uuid>" and decodes back to a position', () => {
    const cursor = 'MjAyNC0wMy0wNFQwNjo1OTo1MS40NzE0NDEtMDU6MDB8fDE1Y2NjODA1LTY0ZDUtNDk0MC1hN2UwLTQ1ZmM3MDQ5OTdhMQ==';
    assert.equal(encodeCursor('2024-03-04T06:59:51.471441-05:00', '15ccc805-64d5-4940-a7e0-45fc704997a1'), cursor);
    assert.deepEqual(decodeCursor(cursor), {
      updatedAtMicros: parseIsoToMicros('2024-03-04T11:59:51.471441Z'),
      uuid: '15ccc805-64d5-4940-a7e0-45fc704997a1',
    });
    for (const bad of ['garbage', Buffer.from('2024-03-04T06:59:51Z').toString('base64'), Buffer.from('x||y||z').toString('base64')]) {
      assert.equal(decodeCursor(bad), undefined);
    }
  });

  it('the micro clock is strictly increasing even when the wall clock stands still', () => {
    const stamp = createMicroClock(() => 1000);
    assert.deepEqual([stamp(), stamp(), stamp()], [1_000_000, 1_000_001, 1_000_002]);
  });

  it('the query parser handles repeated keys, [] arrays and tags[k]=v like qs', () => {
    assert.deepEqual(parseQueryString('?model=A&ids=1&ids=2&ids[]=3&tags[Team]=a+b&x=%E2%9C%93'), {
      model: 'A',
      ids: ['1', '2', '3'],
      tags: { Team: 'a b' },
      x: '✓',
    });
    assert.deepEqual(parseQueryString('toString=1&bad=%E0%A4%A'), { bad: '%E0%A4%A' });
  });

  it('deep merge merges objects by key and arrays by index', () => {
    assert.deepEqual(deepMerge({ a: 1, n: { x: 1, y: 2 }, l: [{ p: 1 }, 2, 3] }, { b: 2, n: { y: 3 }, l: [{ q: 2 }] }), {
      a: 1,
      b: 2,
      n: { x: 1, y: 3 },
      l: [{ p: 1, q: 2 }, 2, 3],
    });
  });

  it('the stable hash ignores key order but not values', () => {
    assert.equal(stableHash({ a: 1, b: { c: 2, d: 3 } }), stableHash({ b: { d: 3, c: 2 }, a: 1 }));
    assert.notEqual(stableHash({ a: 1 }), stableHash({ a: 2 }));
  });

  it('mulberry32 repeats its sequence for a seed', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const seqA = [a(), a(), a()];
    assert.deepEqual(seqA, [b(), b(), b()]);
    assert.ok(seqA.every((x) => x >= 0 && x < 1));
  });

  it('the rate-limit window is fixed from its first request and counts rejected requests', () => {
    let nowMs = 10_000;
    const window = createRateLimitWindow({ points: 2, durationMs: 60_000, now: () => nowMs });
    assert.equal(window.consume('k').remaining, 1);
    nowMs += 30_500;
    assert.equal(window.consume('k').allowed, true);
    const rejected = window.consume('k');
    assert.deepEqual(rejected, { allowed: false, limit: 2, remaining: 0, msBeforeNext: 29_500 });
    assert.deepEqual(rateLimitHeaders(rejected, nowMs), {
      'X-RateLimit-Limit': 2,
      'X-RateLimit-Remaining': 0,
      'X-RateLimit-Reset': 70,
      'Retry-After': 29,
    });
    nowMs = 70_000;
    assert.equal(window.consume('k').allowed, true);
    assert.deepEqual(window.windows(), [
      { key: 'k', startMs: 10_000, resetAtMs: 70_000, consumed: 3, allowed: 2 },
      { key: 'k', startMs: 70_000, resetAtMs: 130_000, consumed: 1, allowed: 1 },
    ]);
  });

  it('a window of another length, for a short test, resets after it', () => {
    let nowMs = 0;
    const window = createRateLimitWindow({ points: 1, durationMs: 5_000, now: () => nowMs });
    assert.equal(window.consume('k').msBeforeNext, 5_000);
    nowMs = 5_000;
    assert.equal(window.consume('k').allowed, true);
  });
});
