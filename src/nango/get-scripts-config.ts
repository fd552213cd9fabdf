import { ReplicatorError } from '../errors/replicator-error.js';
import { type NangoHttpDeps, type NangoHttpOptions, nangoGet } from './nango-request.js';

/**
 * `GET /scripts/config`: an array of providers, each with its syncs, their models and json_schema
 * (docs/nango-api.md 4). Returned as parsed JSON; `src/schema` reads the field types out of it, tolerating
 * every historic shape.
 */
export async function getScriptsConfig(
  deps: NangoHttpDeps,
  options: NangoHttpOptions,
  params: { signal?: AbortSignal } = {},
): Promise<unknown[]> {
  const body = await nangoGet(deps, options, { path: '/scripts/config', context: {}, signal: params.signal });
  if (!Array.isArray(body)) {
    throw new ReplicatorError('nango_invalid_response', 'GET /scripts/config did not answer a JSON array.', {
      retry: 'transient',
    });
  }
  return body;
}
