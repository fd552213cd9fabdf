import assert from 'node:assert/strict';
import { test } from 'node:test';
import { responseError } from '../../src/nango/response-error.js';
import { scrubSecrets } from '../../src/cli/scrub-secrets.js';

const context = { method: 'GET', path: '/records', integration: 'github', connection: 'acme', model: 'GithubIssue' };

test('each Nango error maps to a code, a retry class and a message saying what to check', () => {
  const cases = [
    [401, '{"error":{"code":"unknown_account"}}', 'nango_unauthorized', 'terminal', /NANGO_SECRET_KEY/],
    [403, '{"error":{"code":"forbidden","message":"Insufficient scope"}}', 'nango_forbidden', 'terminal', /Insufficient scope/],
    [400, '{"error":{"code":"unknown_connection"}}', 'nango_unknown_connection', 'terminal', /"acme".*"github"/],
    [
      400,
      '{"error":{"code":"invalid_query_params","errors":[{"message":"too big","path":["limit"]}]}}',
      'nango_bad_request',
      'terminal',
      /limit: too big/,
    ],
    [429, '{"error":{"code":"too_many_request"}}', 'nango_rate_limited', 'transient', /rate limit/],
    [
      500,
      '{"error":{"code":"server_error","message":"Failed to fetch records"}}',
      'nango_server_error',
      'transient',
      /Failed to fetch records/,
    ],
    [502, '<html>bad gateway</html>', 'nango_server_error', 'transient', /502/],
  ] as const;
  for (const [status, body, code, retry, message] of cases) {
    const error = responseError(status, body, context);
    assert.equal(error.code, code, `${status} ${body}`);
    assert.equal(error.retry, retry);
    assert.match(error.message, message);
  }
});

test('known secret values are scrubbed from any text shown to the operator', () => {
  const env = { NANGO_SECRET_KEY: 'key-1234-secret', DATABASE_URL: 'postgres://app:p%40ss@db/x' };
  const text = 'failed with key-1234-secret at postgres://app:p%40ss@db/x (password p@ss)';
  const scrubbed = scrubSecrets(text, undefined, env);
  assert.equal(scrubbed, 'failed with [redacted] at [redacted] (password [redacted])');
});

test('a 403 names the missing scope (from Nango, or from the request when Nango does not), the feature and where to add it', () => {
  const named = responseError(
    403,
    '{"error":{"code":"forbidden","message":"Insufficient scope. Required: environment:records:read"}}',
    context,
  );
  assert.equal(named.code, 'nango_forbidden');
  assert.equal(named.retry, 'terminal');
  assert.equal(named.details?.scope, 'environment:records:read');
  assert.match(
    named.message,
    /^The Nango API key \(NANGO_SECRET_KEY\) lacks the scope environment:records:read, needed for reading records/,
  );
  assert.match(named.message, /Environment Settings > API keys/);
  const unnamed = responseError(403, '{"error":{"code":"forbidden"}}', { method: 'GET', path: '/connections' });
  assert.match(unnamed.message, /lacks the scope environment:connections:list, needed for listing connections/);
  const unknown = responseError(403, 'not json', { method: 'GET', path: '/elsewhere' });
  assert.match(unknown.message, /lacks a permission \(GET \/elsewhere answered 403 forbidden/);
});
