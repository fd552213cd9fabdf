import { NIL_UUID, uuidV5 } from './uuid-v5.js';

/**
 * Nango's internal record id (docs/nango-api.md 1.3), the tie-breaker of the stream order:
 * `uuid.v5(`${connectionPk}${model}${rawId}`, uuid.v5(`${connectionPk}${model}`, NIL))`.
 * `rawId` is the payload id as saved (before NUL bytes are stripped from the external id).
 * Pass `namespace` (from {@link recordNamespace}) to skip recomputing it for every record.
 */
export function recordUuid(connectionPk: number, model: string, rawId: string, namespace = recordNamespace(connectionPk, model)): string {
  return uuidV5(`${connectionPk}${model}${rawId}`, namespace);
}

/** The per-(connection, model) namespace of {@link recordUuid}. */
export function recordNamespace(connectionPk: number, model: string): string {
  return uuidV5(`${connectionPk}${model}`, NIL_UUID);
}
