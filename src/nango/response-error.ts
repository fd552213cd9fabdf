import { ReplicatorError } from '../errors/replicator-error.js';
import { forbiddenError } from './forbidden-error.js';

/** What the request was about, to make error messages say what to check. Never holds secrets. */
export interface RequestContext {
  method: string;
  path: string;
  integration?: string;
  connection?: string;
  model?: string;
  /** NANGO_HOST as shown to the operator (no credentials). */
  host?: string;
}

interface NangoErrorBody {
  error?: { code?: string; message?: string; errors?: Array<{ message?: string; path?: unknown[] }> };
}

/**
 * Maps a non-2xx Nango response to a ReplicatorError with a code, a retry class and a message that tells
 * the operator what to check. Bodies are Nango's error envelope (docs/nango-api.md 0); anything else is tolerated.
 */
export function responseError(status: number, bodyText: string, context: RequestContext, waitMs?: number): ReplicatorError {
  const nango = parseEnvelope(bodyText);
  const nangoCode = nango?.code ?? 'unknown';
  const what = `${context.method} ${context.path} answered ${status} ${nangoCode}`;
  const details = { status, nangoCode, path: context.path };

  if (status === 401) {
    return new ReplicatorError(
      'nango_unauthorized',
      `Nango refused the secret key (${what}). Check NANGO_SECRET_KEY: it must be the secret key of the environment ` +
        'that holds the connection, and NANGO_HOST must point to that Nango instance.',
      { retry: 'terminal', details },
    );
  }
  if (status === 403) return forbiddenError(context, nango, details);
  if (status === 429) {
    return new ReplicatorError('nango_rate_limited', `Nango's rate limit was reached (${what}).`, {
      retry: 'transient',
      details: { ...details, waitMs },
    });
  }
  if (status >= 500) {
    return new ReplicatorError('nango_server_error', `Nango failed (${what}: ${nango?.message ?? 'no message'}).`, {
      retry: 'transient',
      details,
    });
  }
  if (nangoCode === 'unknown_connection') {
    return new ReplicatorError(
      'nango_unknown_connection',
      `Nango has no connection "${context.connection}" for integration "${context.integration}" (${what}). ` +
        "Check the connection id and the integration's unique key (providerConfigKey), as Nango's dashboard shows them, " +
        'where this stream is named: the streams of the config file, or the command that asked for it.',
      { retry: 'terminal', details },
    );
  }
  if (status === 404) {
    // Nango answers the paths the replicator calls with 400s, not 404 (docs/nango-api.md 1.6): something else answered.
    return new ReplicatorError(
      'nango_not_found',
      `${what}: is NANGO_HOST${context.host === undefined ? '' : ` (${context.host})`} the Nango API URL (https://api.nango.dev, or your self-hosted server's API, not its ` +
        'dashboard or a path under it)?',
      { retry: 'terminal', details },
    );
  }
  const reasons = nango?.errors?.map((e) => `${(e.path ?? []).join('.') || '(query)'}: ${e.message}`).join('; ');
  return new ReplicatorError(
    'nango_bad_request',
    `Nango rejected the request (${what}${reasons ? `: ${reasons}` : nango?.message ? `: ${nango.message}` : ''}).`,
    { retry: 'terminal', details },
  );
}

function parseEnvelope(text: string): NangoErrorBody['error'] | undefined {
  try {
    const body = JSON.parse(text) as NangoErrorBody;
    return body !== null && typeof body === 'object' && typeof body.error === 'object' ? body.error : undefined;
  } catch {
    return undefined; // not JSON: the status alone classifies it
  }
}
