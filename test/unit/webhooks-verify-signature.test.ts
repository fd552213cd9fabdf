import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { Secret } from '../../src/config/secret.js';
import { verifyNangoSignature } from '../../src/webhooks/verify-nango-signature.js';
import { hmacSignature, legacySignature, nangoWebhookBody, syncSuccessPayload } from '../helpers/sign-nango-webhook.js';

const CURRENT = randomUUID();
const PREVIOUS = randomUUID();
const body = nangoWebhookBody(syncSuccessPayload());
const keys = { current: new Secret(CURRENT), allowLegacy: false };

describe('Nango webhook signature', () => {
  test('a body signed with the signing key is accepted', () => {
    assert.deepEqual(verifyNangoSignature(body, { 'x-nango-hmac-sha256': hmacSignature(CURRENT, body) }, keys), {
      ok: true,
      scheme: 'hmac-sha256',
      key: 'current',
    });
  });

  test('upper-case hex and a differently cased header name are accepted', () => {
    const headers = { 'X-Nango-Hmac-Sha256': hmacSignature(CURRENT, body).toUpperCase() };
    assert.equal(verifyNangoSignature(body, headers, keys).ok, true);
  });

  test('a signature made with another key is refused', () => {
    const result = verifyNangoSignature(body, { 'x-nango-hmac-sha256': hmacSignature(randomUUID(), body) }, keys);
    assert.deepEqual(result, { ok: false, reason: 'signature-mismatch' });
  });

  test('a body changed by one byte after signing is refused', () => {
    const signature = hmacSignature(CURRENT, body);
    const changed = Buffer.from(body.toString('utf8').replace('"acme"', '"acmf"'));
    assert.deepEqual(verifyNangoSignature(changed, { 'x-nango-hmac-sha256': signature }, keys), {
      ok: false,
      reason: 'signature-mismatch',
    });
  });

  test('a missing, truncated, non-hex or repeated signature header is refused', () => {
    const good = hmacSignature(CURRENT, body);
    assert.deepEqual(verifyNangoSignature(body, {}, keys), { ok: false, reason: 'missing-signature' });
    for (const value of [good.slice(0, 63), `${good.slice(0, 63)}z`, '', [good, good]]) {
      assert.deepEqual(verifyNangoSignature(body, { 'x-nango-hmac-sha256': value }, keys), { ok: false, reason: 'malformed-signature' });
    }
  });

  test('during a rotation both the new and the previous key are accepted, and which one is reported', () => {
    const rotating = { current: new Secret(CURRENT), previous: new Secret(PREVIOUS), allowLegacy: false };
    const byNew = verifyNangoSignature(body, { 'x-nango-hmac-sha256': hmacSignature(CURRENT, body) }, rotating);
    const byOld = verifyNangoSignature(body, { 'x-nango-hmac-sha256': hmacSignature(PREVIOUS, body) }, rotating);
    assert.deepEqual(byNew, { ok: true, scheme: 'hmac-sha256', key: 'current' });
    assert.deepEqual(byOld, { ok: true, scheme: 'hmac-sha256', key: 'previous' });
    // Once the previous key is removed from the configuration, its signatures stop working.
    assert.equal(verifyNangoSignature(body, { 'x-nango-hmac-sha256': hmacSignature(PREVIOUS, body) }, keys).ok, false);
  });

  test('the legacy X-Nango-Signature is refused unless enabled, then checked like the HMAC', () => {
    const headers = { 'x-nango-signature': legacySignature(CURRENT, body) };
    assert.deepEqual(verifyNangoSignature(body, headers, keys), { ok: false, reason: 'legacy-signature-refused' });
    const allowed = { ...keys, allowLegacy: true };
    assert.deepEqual(verifyNangoSignature(body, headers, allowed), { ok: true, scheme: 'legacy-sha256', key: 'current' });
    const forged = { 'x-nango-signature': legacySignature(randomUUID(), body) };
    assert.deepEqual(verifyNangoSignature(body, forged, allowed), { ok: false, reason: 'signature-mismatch' });
  });

  test('when the HMAC header is present it alone decides, even if a valid legacy signature comes with it', () => {
    const headers = { 'x-nango-hmac-sha256': hmacSignature(randomUUID(), body), 'x-nango-signature': legacySignature(CURRENT, body) };
    assert.equal(verifyNangoSignature(body, headers, { ...keys, allowLegacy: true }).ok, false);
  });

  test('with no key (or an empty one) configured nothing is accepted, not even a signature of the empty key', () => {
    const emptyKeySignature = { 'x-nango-hmac-sha256': hmacSignature('', body) };
    assert.deepEqual(verifyNangoSignature(body, emptyKeySignature, { allowLegacy: true }), { ok: false, reason: 'no-signing-key' });
    assert.deepEqual(verifyNangoSignature(body, emptyKeySignature, { current: new Secret(''), allowLegacy: true }), {
      ok: false,
      reason: 'no-signing-key',
    });
  });
});
