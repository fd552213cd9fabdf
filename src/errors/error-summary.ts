import { ReplicatorError } from './replicator-error.js';

/** What is stored and logged about a failure: code and message only, so no secret or stack escapes. */
export function errorSummary(error: unknown): Record<string, unknown> {
  if (error instanceof ReplicatorError) return error.toJSON();
  if (error instanceof Error) return { code: 'unexpected', message: error.message };
  return { code: 'unexpected', message: String(error) };
}
