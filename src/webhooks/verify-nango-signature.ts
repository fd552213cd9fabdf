import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Secret } from '../config/secret.js';

/** The webhook signing keys (Nango: Environment Settings -> Webhooks -> Signing key). */
export interface WebhookSigningKeys {
  /** `NANGO_WEBHOOK_SIGNING_KEY`. */
  current?: Secret;
  /**
   * `NANGO_WEBHOOK_SIGNING_KEY_PREVIOUS`: after a rotation, other Nango processes keep signing with the old key
   * for up to 5 minutes, so both are accepted while it is set.
   */
  previous?: Secret;
  /** Accept the legacy, length-extension-unsafe `X-Nango-Signature` when `X-Nango-Hmac-Sha256` is absent. */
  allowLegacy: boolean;
}

/** Why a webhook was not accepted as coming from Nango. Safe to log: it says nothing about the keys. */
export type SignatureRefusal =
  'no-signing-key' | 'missing-signature' | 'malformed-signature' | 'signature-mismatch' | 'legacy-signature-refused';

export type SignatureCheck =
  { ok: true; scheme: 'hmac-sha256' | 'legacy-sha256'; key: 'current' | 'previous' } | { ok: false; reason: SignatureRefusal };

export const HMAC_HEADER = 'x-nango-hmac-sha256';
export const LEGACY_HEADER = 'x-nango-signature';

const SHA256_HEX = /^[0-9a-f]{64}$/i;

/**
 * Checks that `rawBody` (the exact bytes received) was signed by Nango with one of the configured keys.
 * `X-Nango-Hmac-Sha256` is hex(HMAC-SHA256(key, body)); when it is present it alone decides. The legacy
 * `X-Nango-Signature` (hex(SHA256(key + body))) is only looked at when the HMAC header is absent and
 * `allowLegacy` is set. Comparisons are timing-safe and every configured key is tried, so the time taken does
 * not reveal which key (if any) nearly matched.
 */
export function verifyNangoSignature(rawBody: Buffer, headers: IncomingHttpHeaders, keys: WebhookSigningKeys): SignatureCheck {
  const candidates = configuredKeys(keys);
  if (candidates.length === 0) return { ok: false, reason: 'no-signing-key' };

  const hmac = header(headers, HMAC_HEADER);
  if (hmac !== undefined) return check(hmac, candidates, 'hmac-sha256', (key) => createHmac('sha256', key).update(rawBody).digest());

  const legacy = header(headers, LEGACY_HEADER);
  if (legacy === undefined) return { ok: false, reason: 'missing-signature' };
  if (!keys.allowLegacy) return { ok: false, reason: 'legacy-signature-refused' };
  return check(legacy, candidates, 'legacy-sha256', (key) => createHash('sha256').update(key).update(rawBody).digest());
}

type KeyName = 'current' | 'previous';

/** True when at least one usable (non-empty) signing key is configured. */
export function hasSigningKey(keys: WebhookSigningKeys): boolean {
  return configuredKeys(keys).length > 0;
}

function configuredKeys(keys: WebhookSigningKeys): Array<{ name: KeyName; value: string }> {
  const list: Array<{ name: KeyName; value: string }> = [];
  // An empty key would make every signature computable by anyone: treat it as not configured.
  if (keys.current !== undefined && keys.current.reveal() !== '') list.push({ name: 'current', value: keys.current.reveal() });
  if (keys.previous !== undefined && keys.previous.reveal() !== '') list.push({ name: 'previous', value: keys.previous.reveal() });
  return list;
}

function check(
  value: string | null,
  candidates: ReadonlyArray<{ name: KeyName; value: string }>,
  scheme: 'hmac-sha256' | 'legacy-sha256',
  digest: (key: string) => Buffer,
): SignatureCheck {
  if (value === null || !SHA256_HEX.test(value)) return { ok: false, reason: 'malformed-signature' };
  const received = Buffer.from(value, 'hex');
  let matched: KeyName | undefined;
  for (const candidate of candidates) {
    // No early exit: every key costs the same whichever matches.
    if (timingSafeEqual(digest(candidate.value), received) && matched === undefined) matched = candidate.name;
  }
  return matched === undefined ? { ok: false, reason: 'signature-mismatch' } : { ok: true, scheme, key: matched };
}

/** A header by lower-case name; null when sent more than once (ambiguous), undefined when absent. */
function header(headers: IncomingHttpHeaders, name: string): string | null | undefined {
  const direct = headers[name];
  const value = direct !== undefined ? direct : findCaseInsensitive(headers, name);
  if (Array.isArray(value)) return value.length === 1 ? (value[0]?.trim() ?? null) : null;
  return value === undefined ? undefined : value.trim();
}

function findCaseInsensitive(headers: IncomingHttpHeaders, name: string): string | string[] | undefined {
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}
