import { ReplicatorError } from '../errors/replicator-error.js';
import { scopeForRequest } from './nango-scopes.js';

/**
 * A 403 from Nango: the API key lacks a scope. Nango names it (`Insufficient scope. Required: <scope>`); when it does
 * not, the scope is looked up from the request. The message names the scope, the request, the feature that needs
 * it and what to do. Terminal: retrying does not add a scope.
 */
export function forbiddenError(
  request: { method: string; path: string },
  nango: { code?: string; message?: string } | undefined,
  details: Record<string, unknown>,
): ReplicatorError {
  const named = /Required:\s*([\w:*]+)/.exec(nango?.message ?? '')?.[1];
  const known = scopeForRequest(request.method, request.path);
  const scope = named ?? known?.scope;
  const serverSays = `${request.method} ${request.path} answered 403 ${nango?.code ?? 'forbidden'}: ${nango?.message ?? 'no message'}`;
  const message =
    scope === undefined
      ? `The Nango API key lacks a permission (${serverSays}). Give the key the scope Nango names, or use a key with full access.`
      : `The Nango API key (NANGO_SECRET_KEY) lacks the scope ${scope}, needed for ${known?.feature ?? `${request.method} ${request.path}`}. ` +
        `Add ${scope} to the key in Nango (Environment Settings > API keys), or use a key with full access (${serverSays}).`;
  return new ReplicatorError('nango_forbidden', message, { retry: 'terminal', details: { ...details, ...(scope ? { scope } : {}) } });
}
