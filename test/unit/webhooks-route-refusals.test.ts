import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { Secret } from '../../src/config/secret.js';
import { hmacSignature, legacySignature, nangoWebhookBody, syncSuccessPayload } from '../helpers/sign-nango-webhook.js';
import { harness, KEY, OLD_KEY, signed } from '../helpers/webhook-route-harness.js';

describe('POST /webhooks/nango refuses what Nango did not sign', () => {
  test('a forged signature, or a body changed after signing, is refused with 401 and nothing is requested', async () => {
    const h = await harness();
    const forged = signed(syncSuccessPayload(), randomUUID());
    const original = signed(syncSuccessPayload());
    const tampered = Buffer.from(original.body.toString().replace('"acme"', '"evil"'));
    assert.equal((await h.post(forged.body, forged.headers)).statusCode, 401);
    assert.equal((await h.post(tampered, original.headers)).statusCode, 401);
    assert.equal((await h.post(original.body)).statusCode, 401, 'no signature at all');
    assert.deepEqual(h.target.calls, []);
    assert.deepEqual(await h.outcomes(), { unauthorized: 3 });
  });

  test('a body over the size cap is refused with 413 before it is checked, even when correctly signed', async () => {
    const small = await harness(undefined, { bodyLimitBytes: 2048 });
    const big = signed(syncSuccessPayload({ padding: 'x'.repeat(4096) }));
    assert.equal((await small.post(big.body, big.headers)).statusCode, 413);

    const defaults = await harness();
    const huge = signed(syncSuccessPayload({ padding: 'x'.repeat(1024 * 1024) }));
    assert.equal((await defaults.post(huge.body, huge.headers)).statusCode, 413, 'the default cap is 1 MiB');
    const fits = signed(syncSuccessPayload({ padding: 'x'.repeat(1000 * 1000) }));
    assert.equal((await defaults.post(fits.body, fits.headers)).statusCode, 200);

    assert.deepEqual(small.target.calls, []);
    assert.deepEqual(await small.outcomes(), { 'too-large': 1 });
  });

  test('during a key rotation, webhooks signed with either key are accepted', async () => {
    const h = await harness({ current: new Secret(KEY), previous: new Secret(OLD_KEY) });
    for (const key of [KEY, OLD_KEY]) {
      const { body, headers } = signed(syncSuccessPayload(), key);
      assert.equal((await h.post(body, headers)).statusCode, 200);
    }
    const stranger = signed(syncSuccessPayload(), randomUUID());
    assert.equal((await h.post(stranger.body, stranger.headers)).statusCode, 401);
    assert.equal(h.target.calls.length, 2);
  });

  test('the legacy X-Nango-Signature is refused by default and accepted when enabled', async () => {
    const body = nangoWebhookBody(syncSuccessPayload());
    const headers = { 'x-nango-signature': legacySignature(KEY, body) };
    const strict = await harness();
    assert.equal((await strict.post(body, headers)).statusCode, 401);
    assert.match(strict.log.text(), /legacy-signature-refused/);
    const lenient = await harness({ current: new Secret(KEY), allowLegacy: true });
    assert.equal((await lenient.post(body, headers)).statusCode, 200);
    assert.equal(strict.target.calls.length + lenient.target.calls.length, 1);
  });

  test('a signed body that is not JSON, or not a webhook, gets 400 and nothing is requested', async () => {
    const h = await harness();
    const notJson = Buffer.from('{"type":"sync",');
    assert.equal((await h.post(notJson, { 'x-nango-hmac-sha256': hmacSignature(KEY, notJson) })).statusCode, 400);
    const wrongShape = signed(syncSuccessPayload({ connectionId: 42 }));
    const res = await h.post(wrongShape.body, wrongShape.headers);
    assert.equal(res.statusCode, 400);
    assert.match(res.json().error, /connectionId/);
    assert.deepEqual(h.target.calls, []);
    assert.deepEqual(await h.outcomes(), { malformed: 2 });
  });

  test('with no signing key configured the route answers 503, says why in the log once, and never enqueues', async () => {
    const h = await harness({});
    const { body, headers } = signed(syncSuccessPayload());
    for (let i = 0; i < 3; i += 1) assert.equal((await h.post(body, headers)).statusCode, 503);
    assert.equal(h.log.lines.filter((line) => line.includes('NANGO_WEBHOOK_SIGNING_KEY')).length, 1);
    assert.deepEqual(h.target.calls, []);
  });

  test('neither the signing key nor the signature reach the log', async () => {
    const h = await harness();
    const { body, headers } = signed(syncSuccessPayload());
    await h.post(body, headers);
    await h.post(body, { 'x-nango-hmac-sha256': hmacSignature(randomUUID(), body) });
    assert.doesNotMatch(h.log.text(), new RegExp(KEY));
    assert.doesNotMatch(h.log.text(), new RegExp(headers['x-nango-hmac-sha256']));
  });

  test('the raw-body parser stays inside the webhook route: other routes still parse JSON', async () => {
    const h = await harness();
    const res = await h.app.inject({ method: 'POST', url: '/elsewhere', payload: { a: 1 } });
    assert.deepEqual(res.json(), { got: { a: 1 } });
  });
});
