import {
  authErrorReply,
  genericErrorReply,
  insufficientScopeReply,
  invalidContentTypeReply,
  invalidJsonReply,
  tooManyRequestsReply,
} from './api-errors.js';
import { checkSecretKey } from './check-secret-key.js';
import { fallbackPage } from './fallback-pages.js';
import type { FaultPlan } from './fault-plan.js';
import type { Reply } from './http-reply.js';
import { rateLimitHeaders, type RateLimitWindow } from './rate-limit-window.js';
import type { RouteDeps, RouteRequest } from './route-handler.js';
import { findRoute, requiresJsonContentType } from './route-table.js';

/** Everything the pipeline needs besides the request. */
export interface AnswerDeps extends RouteDeps {
  secretKey: string;
  /** The key's scopes; undefined: full access (`environment:*`), as a key made in the dashboard has. */
  scopes?: ReadonlyArray<string>;
  faults: FaultPlan;
  limiter: RateLimitWindow;
  /** Receives exceptions thrown by a handler (answered with 500 generic_error_support). */
  onError: (error: unknown) => void;
}

/** One bucket: the stand-in serves a single account (docs/nango-api.md 2 keys limits per account). */
const ACCOUNT_BUCKET = 'account-secret-1';

/**
 * Nango's middleware order for an API-key route: body parser, JSON content-type check,
 * `secretKeyAuth`, rate limiter, `withScope` (403 for a key without the route's scope), then (stand-in only)
 * injected response faults, then the handler.
 * Auth and content-type failures carry no rate-limit headers.
 */
export function answerRequest(request: RouteRequest, rawBody: string, deps: AnswerDeps): Reply {
  const contentType = request.headers['content-type'];
  if (contentType?.startsWith('application/json') && rawBody.trim() !== '') {
    const problem = jsonProblem(rawBody);
    if (problem) return invalidJsonReply(problem);
  }
  if (contentType && !contentType.startsWith('application/json') && requiresJsonContentType(request.path)) {
    return invalidContentTypeReply();
  }
  const route = findRoute(request.method, request.path);
  if (!route) return fallbackPage(request.method, request.path);

  const authError = checkSecretKey(request.headers, deps.secretKey);
  if (authError) return authErrorReply(authError);

  const nowMs = deps.now();
  const decision = deps.limiter.consume(ACCOUNT_BUCKET);
  const limitHeaders = rateLimitHeaders(decision, nowMs);
  if (!decision.allowed) return withHeaders(tooManyRequestsReply(request.method, request.path), limitHeaders);

  const scopes = route.scopes;
  if (deps.scopes !== undefined && !deps.scopes.includes('environment:*') && !scopes.some((s) => deps.scopes!.includes(s))) {
    return withHeaders(insufficientScopeReply(scopes[0] ?? 'environment:*'), limitHeaders);
  }

  const fault = deps.faults.takeResponseFault(request.path);
  if (fault?.kind === 'fail') return { status: fault.status, body: fault.body, headers: { ...limitHeaders, ...fault.headers } };
  if (fault?.kind === 'rateLimit') {
    const headers = {
      'X-RateLimit-Limit': decision.limit,
      'X-RateLimit-Remaining': 0,
      'X-RateLimit-Reset': Math.floor(nowMs / 1000) + fault.retryAfterSeconds,
      'Retry-After': fault.retryAfterSeconds,
    };
    return withHeaders(tooManyRequestsReply(request.method, request.path), headers);
  }

  try {
    const body = rawBody.trim() === '' || jsonProblem(rawBody) !== undefined ? undefined : (JSON.parse(rawBody) as unknown);
    return withHeaders(route.handler({ ...request, params: route.params, body }, deps), limitHeaders);
  } catch (error) {
    // Express's error handler: the support id is the only thing the client learns.
    deps.onError(error);
    return withHeaders(genericErrorReply(), limitHeaders);
  }
}

function withHeaders(reply: Reply, headers: Record<string, string | number>): Reply {
  return { ...reply, headers: { ...headers, ...reply.headers } };
}

/** body-parser `json()` in strict mode: only objects and arrays. Returns an error message or undefined. */
function jsonProblem(rawBody: string): string | undefined {
  const first = rawBody.trimStart()[0];
  if (first !== '{' && first !== '[') return `Unexpected token '${first ?? ''}', "${rawBody.slice(0, 10)}" is not valid JSON`;
  try {
    JSON.parse(rawBody);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
