import type { IncomingHttpHeaders } from 'node:http';

import type { AuthErrorCode } from './api-errors.js';

const UUID_V4 = /^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/i;

/**
 * Nango's `secretKeyAuth` (docs/nango-api.md 0): returns the failure code, or null when the key is the
 * environment's secret key. `Nango-Is-Script: true` makes the server look the key up as an
 * internal script key, so a customer key fails with `unknown_account`.
 */
export function checkSecretKey(headers: IncomingHttpHeaders, secretKey: string): AuthErrorCode | null {
  const authorization = headers.authorization;
  if (!authorization) return 'missing_auth_header';
  const token = authorization.split('Bearer ').pop();
  if (!token) return 'malformed_auth_header';
  if (!UUID_V4.test(token)) return 'invalid_secret_key_format';
  if (headers['nango-is-script'] === 'true') return 'unknown_account';
  return token === secretKey ? null : 'unknown_account';
}
