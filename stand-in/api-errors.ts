import { randomUUID } from 'node:crypto';

import type { Reply } from './http-reply.js';

/** The `NangoError` auth failures (docs/nango-api.md 0), all 401 with `payload: {}`. */
export type AuthErrorCode = 'missing_auth_header' | 'malformed_auth_header' | 'invalid_secret_key_format' | 'unknown_account';

const AUTH_MESSAGES: Record<AuthErrorCode, string> = {
  missing_auth_header: 'Authentication failed. The request is missing the Authorization header.',
  malformed_auth_header: 'Authentication failed. The Authorization header is malformed.',
  invalid_secret_key_format: 'Authentication failed. The provided secret key is not a UUID v4.',
  unknown_account: 'Authentication failed. The provided authorization header does not match any account.',
};

/** Nango's `withScope` refusal (docs/nango-api.md 0): 403, naming the first scope the route accepts. */
export function insufficientScopeReply(required: string): Reply {
  return { status: 403, body: { error: { code: 'forbidden', message: `Insufficient scope. Required: ${required}` } } };
}

export function authErrorReply(code: AuthErrorCode): Reply {
  return { status: 401, body: { error: { message: AUTH_MESSAGES[code], code, payload: {} } } };
}

/** A zod issue as Nango's `zodErrorToHTTP` reports it. */
export interface ValidationIssue {
  code: string;
  message: string;
  path: PropertyKey[];
}

export function validationErrorReply(
  code: 'invalid_query_params' | 'invalid_headers' | 'invalid_body' | 'invalid_uri_params',
  issues: readonly ValidationIssue[],
): Reply {
  return { status: 400, body: { error: { code, errors: issues.map(({ code, message, path }) => ({ code, message, path })) } } };
}

export function invalidContentTypeReply(): Reply {
  return { status: 415, body: { error: { code: 'invalid_content_type', message: 'Content-Type header must be application/json' } } };
}

export function invalidJsonReply(message: string): Reply {
  return { status: 400, body: { error: { code: 'invalid_json', message } } };
}

export function tooManyRequestsReply(method: string, path: string): Reply {
  return { status: 429, body: { error: { code: 'too_many_request', method, path } } };
}

/** Uncaught exception: 500 with a fresh support id. */
export function genericErrorReply(): Reply {
  const id = randomUUID();
  return {
    status: 500,
    body: {
      error: {
        message: `An error occurred. Please contact support with this unique id: "${id}"`,
        code: 'generic_error_support',
        payload: id,
      },
    },
  };
}
