/**
 * Headers every answer of the worker's HTTP doors carries. The policy lets a page run no script but files served
 * by the same door (`script-src 'self'`, no inline script, no eval), load nothing from elsewhere, and not be framed;
 * so even an escaping bug that let markup through could not run code or send data out.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Set on every response of both doors (see `startHttpServer`). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
});
