import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { after, afterEach, before, describe, it } from 'node:test';

import { checkSecretKey } from '../../stand-in/check-secret-key.js';
import { startNangoStandIn, type NangoStandIn } from '../../stand-in/nango-stand-in.js';

const SECRET = randomUUID();
const PCK = 'github';
const CONN = 'acme';
const RECORDS_HEADERS = { 'Connection-Id': CONN, 'Provider-Config-Key': PCK };

describe('stand-in HTTP conventions', () => {
  let standIn: NangoStandIn;

  before(async () => {
    standIn = await startNangoStandIn({ secretKey: SECRET });
    standIn.store.addConnection({ providerConfigKey: PCK, connectionId: CONN });
  });
  after(() => standIn.close());
  afterEach(() => standIn.faults.clear());

  const records = (headers: Record<string, string> = { Authorization: `Bearer ${SECRET}` }) =>
    fetch(`${standIn.url}/records/?model=Issue`, { headers: { ...RECORDS_HEADERS, ...headers } });

  it('auth failures answer 401 with the NangoError shape and no rate-limit headers', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{}, 'missing_auth_header'],
      [{ Authorization: 'Bearer not-a-uuid' }, 'invalid_secret_key_format'],
      [{ Authorization: `Bearer ${randomUUID()}` }, 'unknown_account'],
      [{ Authorization: `Bearer ${SECRET}`, 'Nango-Is-Script': 'true' }, 'unknown_account'],
    ];
    for (const [headers, code] of cases) {
      const res = await records(headers);
      const body = (await res.json()) as any;
      assert.equal(res.status, 401, code);
      assert.equal(body.error.code, code);
      assert.deepEqual(Object.keys(body.error), ['message', 'code', 'payload']);
      assert.equal(res.headers.get('x-ratelimit-limit'), null);
    }
  });

  it('an empty bearer token is malformed_auth_header, but Node trims it to "Bearer" on the wire', async () => {
    assert.equal(checkSecretKey({ authorization: 'Bearer ' }, SECRET), 'malformed_auth_header');
    // Node's HTTP parser drops trailing whitespace (as under the real Express server), so the
    // token seen is "Bearer", which is not a UUID v4.
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${standIn.url}/records/?model=Issue`, { headers: { ...RECORDS_HEADERS, Authorization: 'Bearer ' } }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 401);
    assert.equal(JSON.parse(body).error.code, 'invalid_secret_key_format');
  });

  it('authenticated responses carry X-RateLimit headers even without a configured limit', async () => {
    const res = await records();
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-ratelimit-limit'), '1000000');
    assert.ok(Number(res.headers.get('x-ratelimit-remaining')) < 1_000_000);
    assert.ok(Number(res.headers.get('x-ratelimit-reset')) >= Math.floor(Date.now() / 1000));
  });

  it('a non-JSON Content-Type answers 415 even on a GET', async () => {
    const res = await records({ Authorization: `Bearer ${SECRET}`, 'Content-Type': 'text/plain' });
    assert.equal(res.status, 415);
    assert.deepEqual(await res.json(), {
      error: { code: 'invalid_content_type', message: 'Content-Type header must be application/json' },
    });
    assert.equal((await records({ Authorization: `Bearer ${SECRET}`, 'Content-Type': 'application/json; charset=utf-8' })).status, 200);
  });

  it('a malformed JSON body answers 400 invalid_json', async () => {
    // fetch cannot send a GET body; body-parser runs before routing, so a POST shows it.
    const post = await fetch(`${standIn.url}/records/?model=Issue`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${SECRET}`, 'Content-Type': 'application/json' },
      body: '{not json',
    });
    assert.equal(post.status, 400);
    assert.equal(((await post.json()) as any).error.code, 'invalid_json');
  });

  it('an unknown path answers the 200 HTML index page, not a JSON 404', async () => {
    const res = await fetch(`${standIn.url}/no/such/thing`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await res.text(), /<html/);
  });

  it('failNext answers matching requests with the injected response after auth', async () => {
    standIn.faults.failNext(2, {
      status: 503,
      body: { error: { code: 'maintenance' } },
      headers: { 'X-Test': 'yes' },
      pathPrefix: '/records',
    });
    const unauthenticated = await records({});
    assert.equal(unauthenticated.status, 401);
    const other = await fetch(`${standIn.url}/scripts/config`, { headers: { Authorization: `Bearer ${SECRET}` } });
    assert.equal(other.status, 200);
    for (let i = 0; i < 2; i++) {
      const res = await records();
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('x-test'), 'yes');
      assert.notEqual(res.headers.get('x-ratelimit-limit'), null);
      assert.deepEqual(await res.json(), { error: { code: 'maintenance' } });
    }
    assert.equal((await records()).status, 200);
    assert.equal(standIn.faults.pending, 0);
  });

  it('rateLimitNext answers 429 with Retry-After and counts it', async () => {
    const before = standIn.stats.tooManyRequests;
    standIn.faults.rateLimitNext(1, 7);
    const res = await records();
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '7');
    assert.equal(res.headers.get('x-ratelimit-remaining'), '0');
    assert.deepEqual(await res.json(), { error: { code: 'too_many_request', method: 'GET', path: '/records/' } });
    assert.equal(standIn.stats.tooManyRequests, before + 1);
  });

  it('destroyNext resets the socket so the client sees a network error', async () => {
    standIn.faults.destroyNext(1);
    await assert.rejects(records(), TypeError);
    assert.equal((await records()).status, 200);
    assert.equal(standIn.stats.socketsDestroyed, 1);
  });

  it('delayNext holds the response for the given time', async () => {
    standIn.faults.delayNext(1, 150);
    const started = Date.now();
    const res = await records();
    assert.equal(res.status, 200);
    assert.ok(Date.now() - started >= 140);
  });

  it('logs every request with the authorization header redacted', async () => {
    await records();
    const last = standIn.requests.at(-1)!;
    assert.equal(last.method, 'GET');
    assert.equal(last.path, '/records/');
    assert.deepEqual(last.query, { model: 'Issue' });
    assert.equal(last.status, 200);
    assert.equal(last.headers['authorization'], '[REDACTED]');
    assert.equal(last.headers['connection-id'], CONN);
    assert.ok(!JSON.stringify(standIn.requests).includes(SECRET));
    assert.deepEqual(standIn.errors, []);
  });
});

describe('stand-in rate limiting', () => {
  let nowMs = Date.UTC(2026, 5, 1, 12, 0, 0, 250);
  let standIn: NangoStandIn;

  before(async () => {
    standIn = await startNangoStandIn({ secretKey: SECRET, rateLimit: { requestsPerMinute: 3 }, now: () => nowMs });
    standIn.store.addConnection({ providerConfigKey: PCK, connectionId: CONN });
  });
  after(() => standIn.close());

  const records = () => fetch(`${standIn.url}/records?model=Issue`, { headers: { ...RECORDS_HEADERS, Authorization: `Bearer ${SECRET}` } });

  it('answers 429 after the limit with Retry-After, X-RateLimit headers and the too_many_request body', async () => {
    const windowStart = nowMs;
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await records();
      assert.equal(res.status, 200);
      remaining.push(res.headers.get('x-ratelimit-remaining')!);
      assert.equal(res.headers.get('x-ratelimit-reset'), String(Math.floor((windowStart + 60_000) / 1000)));
    }
    assert.deepEqual(remaining, ['2', '1', '0']);
    nowMs += 59_500;
    const limited = await records();
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '0');
    assert.equal(limited.headers.get('x-ratelimit-limit'), '3');
    assert.equal(limited.headers.get('x-ratelimit-remaining'), '0');
    assert.deepEqual(await limited.json(), { error: { code: 'too_many_request', method: 'GET', path: '/records' } });
    assert.equal(standIn.stats.tooManyRequests, 1);
  });

  it('auth failures are not rate limited and do not consume points', async () => {
    const res = await fetch(`${standIn.url}/records?model=Issue`, { headers: RECORDS_HEADERS });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('retry-after'), null);
  });

  it('a new window starts with the first request after the old one ended', async () => {
    nowMs += 1_000;
    const res = await records();
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-ratelimit-remaining'), '2');
    assert.equal(res.headers.get('x-ratelimit-reset'), String(Math.floor((nowMs + 60_000) / 1000)));
  });

  it('close resets a request held by delayNext instead of waiting for it', async () => {
    const other = await startNangoStandIn({ secretKey: SECRET });
    other.faults.delayNext(1, 60_000);
    const pending = fetch(`${other.url}/scripts/config`, { headers: { Authorization: `Bearer ${SECRET}` } });
    while (other.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const started = Date.now();
    await other.close();
    await assert.rejects(pending, TypeError);
    assert.ok(Date.now() - started < 5_000);
  });

  it('close is idempotent', async () => {
    await Promise.all([standIn.close(), standIn.close()]);
    await standIn.close();
  });
});

describe('stand-in scoped API keys', () => {
  it("a key without the route's scope gets 403 forbidden naming it, after the rate limiter, as Nango's withScope", async () => {
    const standIn = await startNangoStandIn({ secretKey: SECRET, scopes: ['environment:connections:list_credentials'] });
    try {
      standIn.store.addConnection({ providerConfigKey: PCK, connectionId: CONN });
      const auth = { Authorization: `Bearer ${SECRET}` };
      const refused = await fetch(`${standIn.url}/records?model=Issue`, { headers: { ...RECORDS_HEADERS, ...auth } });
      assert.equal(refused.status, 403);
      assert.deepEqual(await refused.json(), {
        error: { code: 'forbidden', message: 'Insufficient scope. Required: environment:records:read' },
      });
      assert.notEqual(refused.headers.get('x-ratelimit-limit'), null, 'withScope runs after the rate limiter');
      const scripts = await fetch(`${standIn.url}/scripts/config`, { headers: auth });
      assert.equal(scripts.status, 403);
      assert.equal(((await scripts.json()) as any).error.message, 'Insufficient scope. Required: environment:integrations:list_functions');
      assert.equal((await fetch(`${standIn.url}/connections`, { headers: auth })).status, 200, 'either connections scope suffices');
      assert.equal((await fetch(`${standIn.url}/records?model=Issue`, { headers: RECORDS_HEADERS })).status, 401, 'auth comes first');
    } finally {
      await standIn.close();
    }
  });
});
